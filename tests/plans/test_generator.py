"""The pure plan generator against the guide's 8-week table and the rules PG-1 to PG-11.

No database and no app: plan options, an assessment outcome and the catalogue in, a plan out.
The outcomes are built from real findings by the plan service's own helpers, so the painful
movements and stiff sides are the ruleset's.
"""

import itertools
from collections.abc import Iterator
from datetime import date, time, timedelta
from typing import Any

import pytest

from app.assessments import schemas as assessment_schemas
from app.assessments.schemas import Triage, TriageLevel, TriageReason
from app.assessments.service import Assessments
from app.catalogue.schemas import ExercisePublic, Range, SessionKind, Side
from app.catalogue.snapshot import CatalogueSnapshot
from app.plans import generator
from app.plans.schemas import (
    AssessmentSource,
    CutReason,
    ItemDose,
    Plan,
    PlanAssessment,
    PlanDay,
    PlanItem,
    PlanOptions,
    PlanSession,
    Weekday,
    session_id,
)
from app.plans.service import load_settings, painful_movements, plan_findings

SETTINGS = load_settings()
VERSIONS = generator.Versions(ruleset="r", generator="g")
ASSESSMENTS = Assessments.load()
FINDINGS = ASSESSMENTS.findings_by_code
WEEKDAYS = list(Weekday)

MORNING_DRILLS = [
    "hip-flexor-lunge-stretch",
    "ninety-ninety-hip-switch",
    "piriformis-release",
    "deep-squat-hold",
]
EVENING_STRETCHES = [
    "evening-hip-flexor-stretch",
    "evening-piriformis-stretch",
    "evening-childs-pose-stretch",
]
WORK_WEEK = ["monday", "tuesday", "wednesday", "thursday", "friday"]

# Room for every session of every week at its full dose, so the plan shows the guide's table
# undiluted by PG-4.
ROOMY: dict[str, Any] = {
    "pain_now": 3,
    "equipment": ["resistance_band", "light_weights"],
    "minutes_per_day": 120,
    "training_days": ["monday", "wednesday", "friday", "saturday", "sunday"],
    "cardio": ["walking"],
    "start_date": "2026-12-07",  # a Monday
    "time_zone": "Europe/London",
    "working_hours": {"start": "09:00", "end": "17:00"},
    "working_days": WORK_WEEK,
}


def options(**overrides: Any) -> PlanOptions:
    return PlanOptions.model_validate({**ROOMY, **overrides})


def triage(level: TriageLevel = TriageLevel.self_care) -> Triage:
    reasons = []
    if level is not TriageLevel.self_care:
        reasons = [TriageReason(rule_id="IN-1", finding=None, text="Your pain has lasted 8 weeks.")]
    return Triage(level=level, reasons=reasons, advice=ASSESSMENTS.ruleset.advice.for_level(level))


def outcome(
    *codes: str, level: TriageLevel = TriageLevel.self_care, pain: int = 3
) -> generator.Outcome:
    findings = [FINDINGS[code] for code in codes]
    return generator.Outcome(
        assessment=PlanAssessment(
            source=AssessmentSource.answers,
            assessment_id=None,
            triage=triage(level),
            findings=list(codes),
            pain_now=pain,
        ),
        findings=plan_findings(findings, ASSESSMENTS),
        painful_movements=painful_movements(findings, ASSESSMENTS),
    )


def generate(
    catalogue: CatalogueSnapshot,
    plan_options: PlanOptions,
    assessment: generator.Outcome | None = None,
    settings: Any = SETTINGS,
) -> Plan:
    return generator.generate(
        plan_options,
        assessment if assessment is not None else outcome(pain=plan_options.pain_now),
        catalogue=catalogue,
        settings=settings,
        versions=VERSIONS,
        request_hash="h" * 64,
    )


def days(plan: Plan) -> Iterator[PlanDay]:
    for week in plan.weeks:
        yield from week.days


def session(day: PlanDay, kind: SessionKind) -> PlanSession | None:
    found = [s for s in day.sessions if s.kind is kind]
    assert len(found) <= 1, f"{day.date}: {len(found)} {kind} sessions"
    return found[0] if found else None


def sessions(plan: Plan, kind: SessionKind, week: int | None = None) -> list[PlanSession]:
    weeks = plan.weeks if week is None else [plan.weeks[week - 1]]
    return [s for w in weeks for day in w.days if (s := session(day, kind)) is not None]


def slugs(found: PlanSession | None) -> list[str]:
    assert found is not None
    return [item.slug for item in found.items]


def item(found: PlanSession | None, slug: str) -> PlanItem:
    assert found is not None
    return next(i for i in found.items if i.slug == slug)


def kinds(day: PlanDay) -> set[SessionKind]:
    return {s.kind for s in day.sessions}


def all_items(plan: Plan) -> Iterator[PlanItem]:
    for day in days(plan):
        for found in day.sessions:
            yield from found.items


def bottom(value_range: Range | None) -> int | None:
    return None if value_range is None else int(value_range.minimum)


def top(value_range: Range | None) -> int | None:
    return None if value_range is None else int(value_range.maximum)


def within(value: int | None, value_range: Range | None) -> bool:
    if value_range is None:
        return value is None
    return value is not None and value_range.minimum <= value <= value_range.maximum


def dose_in_range(dose: ItemDose, exercise: ExercisePublic) -> bool:
    ranges = exercise.dose
    return (
        within(dose.sets, ranges.sets)
        and within(dose.reps, ranges.reps)
        and within(dose.hold_seconds, ranges.hold_seconds)
        and ranges.duration_minutes.minimum <= dose.minutes <= ranges.duration_minutes.maximum
        and dose.per_side == ranges.per_side
    )


def amount(dose: ItemDose) -> tuple[int, int, int]:
    return (dose.sets or 0, dose.reps or 0, dose.hold_seconds or 0)


def no_two_consecutive(dates: list[date]) -> bool:
    return all(b - a > timedelta(days=1) for a, b in itertools.pairwise(sorted(dates)))


def strength_dates(plan: Plan) -> list[date]:
    return [day.date for day in days(plan) if session(day, SessionKind.strength)]


def cuts(plan: Plan, **where: Any) -> list[tuple[int, str, int, int, str]]:
    return [
        (c.week, c.kind.value, c.cut, c.wanted, c.reason.value)
        for c in plan.cuts
        if all(getattr(c, key) == value for key, value in where.items())
    ]


@pytest.fixture(scope="module")
def roomy(catalogue: CatalogueSnapshot) -> Plan:
    return generate(catalogue, options())


class TestGuideTable:
    """The roomy profile, week by week against 'Your 8-Week Hip-Spine Connection Plan'."""

    def test_eight_weeks_of_seven_consecutive_days_from_the_start_date(self, roomy: Plan) -> None:
        dates = [day.date for day in days(roomy)]

        assert [week.week for week in roomy.weeks] == list(range(1, 9))
        assert dates == [date(2026, 12, 7) + timedelta(days=n) for n in range(56)]
        assert all(day.weekday == WEEKDAYS[day.date.weekday()] for day in days(roomy))

    def test_weeks_4_and_8_open_with_a_retest_of_the_three_self_tests(self, roomy: Plan) -> None:
        retests = {week.week: week.retest for week in roomy.weeks if week.retest is not None}

        assert set(retests) == {4, 8}
        for number, retest in retests.items():
            assert retest.rule_id == "PG-11"
            assert retest.date == roomy.weeks[number - 1].days[0].date
            assert retest.tests == list(assessment_schemas.TestName)
            assert "compared with your first" in retest.text

    def test_every_session_has_its_days_id_a_second_of_one_kind_suffixed(self, roomy: Plan) -> None:
        for day in days(roomy):
            assert [s.id for s in day.sessions] == [
                f"{day.date.isoformat()}.{s.kind.value}" for s in day.sessions
            ]
        ids = [s.id for day in days(roomy) for s in day.sessions]
        assert len(set(ids)) == len(ids)
        assert session_id(date(2026, 12, 7), SessionKind.strength, 2) == ("2026-12-07.strength-2")

    def test_focus_is_the_guides_table_verbatim(self, roomy: Plan) -> None:
        assert [(week.focus, week.frequency) for week in roomy.weeks] == [
            ("Morning mobilization + daily micro-breaks", "Mobilizers daily; micro-breaks hourly"),
            ("Core basics (Pallof press, bridges)", "3× per week"),
            ("Add hip-specific strength (clamshell, squats)", "3× per week"),
            ("Introduce low-impact cardio (walking, cycling)", "4× per week, 20–30 min"),
            ("Progress dynamic drills (bridge march, deadlift)", "3× per week"),
            ("Evening flexibility & release", "Daily"),
            ("Increase challenge: longer holds, heavier loads", "As tolerated"),
            ("Ergonomic & stress-management fine-tuning", "Ongoing"),
        ]

    def test_habit_focus_and_safety_rules_come_from_the_guide(
        self, roomy: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        habits = {habit.slug: habit for habit in catalogue.guidance.habits}
        rules = [rule.rule for rule in catalogue.guidance.safety_rules]

        for week, row in zip(roomy.weeks, catalogue.guidance.plan_template, strict=True):
            assert [(h.slug, h.name, h.tips) for h in week.habit_focus] == [
                (slug, habits[slug].name, habits[slug].tips) for slug in row.habit_focus
            ]
            assert week.safety_rules == rules
            assert week.care_advice is None

    def test_week_1_is_morning_mobilisation_daily_and_micro_breaks_on_working_days(
        self, roomy: Plan
    ) -> None:
        for day in roomy.weeks[0].days:
            expected = {SessionKind.morning_mobility}
            if day.weekday.value in WORK_WEEK:
                expected.add(SessionKind.micro_break)
            assert kinds(day) == expected

    def test_morning_mobilisation_is_the_four_drills_every_day(self, roomy: Plan) -> None:
        for day in days(roomy):
            morning = session(day, SessionKind.morning_mobility)
            assert slugs(morning) == MORNING_DRILLS
            assert morning is not None
            assert morning.start == time(7, 30)
            assert 5 <= morning.minutes <= 10  # "Spend 5–10 minutes daily"

    def test_micro_breaks_pick_one_movement_every_45_minutes_of_the_working_day(
        self, roomy: Plan
    ) -> None:
        for found in sessions(roomy, SessionKind.micro_break):
            assert found.repeat_every_minutes == 45
            assert found.repeats == 8 * 60 // 45
            assert found.minutes == found.repeats * 0.5  # one movement, under a minute
            assert slugs(found) == [
                "hip-circles",
                "seated-hip-opener",
                "standing-thoracic-rotation",
                "body-weight-squat",
                "childs-pose-variation",
            ]
        assert len(sessions(roomy, SessionKind.micro_break)) == 5 * 8

    def test_strength_from_week_2_three_times_a_week_on_the_same_spaced_days(
        self, roomy: Plan
    ) -> None:
        weekly = [
            [day.weekday for day in week.days if session(day, SessionKind.strength)]
            for week in roomy.weeks
        ]

        assert weekly[0] == []
        assert all(
            week == [Weekday.monday, Weekday.wednesday, Weekday.friday] for week in weekly[1:]
        )

    @pytest.mark.parametrize(
        ("week", "expected"),
        [
            (2, {"pallof-press", "glute-bridge"}),
            (3, {"pallof-press", "glute-bridge", "clamshell", "body-weight-squat"}),
            (4, {"pallof-press", "glute-bridge", "clamshell", "body-weight-squat"}),
            (
                5,
                {
                    "pallof-press",
                    "glute-bridge-march",
                    "clamshell",
                    "body-weight-squat",
                    "hip-hinge-deadlift",
                },
            ),
            (
                8,
                {
                    "pallof-press",
                    "glute-bridge-march",
                    "clamshell",
                    "body-weight-squat",
                    "hip-hinge-deadlift",
                },
            ),
        ],
    )
    def test_strength_exercises_are_the_ones_the_table_has_introduced(
        self, roomy: Plan, week: int, expected: set[str]
    ) -> None:
        found = sessions(roomy, SessionKind.strength, week)

        assert len(found) == 3
        assert all(set(slugs(s)) == expected for s in found)

    def test_the_bridge_march_replaces_the_bridge_from_week_5_noted_once(self, roomy: Plan) -> None:
        assert [a.rule_id for a in roomy.adjustments].count("PG-7") == 1

    def test_cardio_four_times_a_week_from_week_4_sharing_strength_days_when_needed(
        self, roomy: Plan
    ) -> None:
        for week in roomy.weeks:
            cardio_days = [d.weekday for d in week.days if session(d, SessionKind.cardio)]
            if week.week < 4:
                assert cardio_days == []
                continue
            # Days without strength first (Saturday, Sunday), then the first strength days.
            assert cardio_days == [
                Weekday.monday,
                Weekday.wednesday,
                Weekday.saturday,
                Weekday.sunday,
            ]
            assert week.summary.cardio_days == 4

    def test_cardio_starts_at_20_minutes_and_builds_to_30(self, roomy: Plan) -> None:
        """The table: "Introduce low-impact cardio … 20–30 min"; PG-10 starts it low."""
        by_week = {
            week: {s.minutes for s in sessions(roomy, SessionKind.cardio, week)}
            for week in range(4, 9)
        }

        assert by_week == {4: {20}, 5: {25}, 6: {25}, 7: {30}, 8: {30}}
        assert all(slugs(s) == ["walking"] for s in sessions(roomy, SessionKind.cardio))

    def test_evening_flexibility_daily_from_week_6(self, roomy: Plan) -> None:
        for week in roomy.weeks:
            evening = [session(day, SessionKind.evening_flexibility) for day in week.days]
            if week.week < 6:
                assert evening == [None] * 7
            else:
                assert all(slugs(found) == EVENING_STRETCHES for found in evening)

    def test_mind_body_daily_in_week_8_only(self, roomy: Plan) -> None:
        for week in roomy.weeks:
            for day in week.days:
                mind_body = session(day, SessionKind.mind_body)
                if week.week < 8:
                    assert mind_body is None
                else:
                    assert slugs(mind_body)[0] in {"diaphragmatic-breathing", "guided-meditation"}
                    assert mind_body is not None
                    assert mind_body.minutes == 5

    def test_weeks_1_and_2_start_at_the_low_end(
        self, roomy: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        for week in roomy.weeks[:2]:
            for day in week.days:
                for found in day.sessions:
                    for planned in found.items:
                        ranges = catalogue.by_slug[planned.slug].dose
                        assert planned.dose.sets == bottom(ranges.sets)
                        assert planned.dose.reps == bottom(ranges.reps)
                        assert planned.dose.hold_seconds == bottom(ranges.hold_seconds)

    def test_a_session_starts_at_the_low_end_in_the_week_it_arrives(self, roomy: Plan) -> None:
        """PG-10: evening holds start at 20 s in week 6, then week 7's longer holds."""
        assert {
            i.dose.hold_seconds
            for s in sessions(roomy, SessionKind.evening_flexibility, 6)
            for i in s.items
        } == {20}
        assert {
            i.dose.hold_seconds
            for s in sessions(roomy, SessionKind.evening_flexibility, 7)
            for i in s.items
        } == {30}

    def test_week_7_longer_holds_and_heavier_loads_on_every_day(self, roomy: Plan) -> None:
        """ "Increase challenge: longer holds, heavier loads": the holds reach the top of the
        guide's range and the deadlift's load is heavier on every day, strength days too."""
        for day in roomy.weeks[6].days:
            morning = session(day, SessionKind.morning_mobility)
            assert item(morning, "deep-squat-hold").dose.hold_seconds == 30
            evening = session(day, SessionKind.evening_flexibility)
            assert evening is not None
            assert [i.dose.hold_seconds for i in evening.items] == [30, 30, 30]
            strength = session(day, SessionKind.strength)
            if strength is not None:
                deadlift = item(strength, "hip-hinge-deadlift").dose
                assert deadlift.load == SETTINGS.load_guidance.heavier
                assert "heavier household object" in deadlift.text
        for week in (5, 6):
            for found in sessions(roomy, SessionKind.strength, week):
                deadlift = item(found, "hip-hinge-deadlift").dose
                assert deadlift.load == "light weights or a household object"

    def test_every_strength_day_of_a_week_has_the_same_dose(self, roomy: Plan) -> None:
        for week in range(2, 9):
            found = sessions(roomy, SessionKind.strength, week)
            assert all(s.items == found[0].items for s in found), week

    def test_the_whole_table_is_held_and_nothing_is_cut(self, roomy: Plan) -> None:
        assert roomy.cuts == []
        for week in roomy.weeks:
            assert all(tally.wanted == tally.scheduled for tally in week.summary.table)
        assert [
            {tally.kind.value: tally.wanted for tally in week.summary.table} for week in roomy.weeks
        ] == [
            {"morning_mobility": 7, "micro_break": 5},
            {"morning_mobility": 7, "micro_break": 5, "strength": 3},
            {"morning_mobility": 7, "micro_break": 5, "strength": 3},
            {"morning_mobility": 7, "micro_break": 5, "strength": 3, "cardio": 4},
            {"morning_mobility": 7, "micro_break": 5, "strength": 3, "cardio": 4},
            *[
                {
                    "morning_mobility": 7,
                    "micro_break": 5,
                    "strength": 3,
                    "cardio": 4,
                    "evening_flexibility": 7,
                }
            ]
            * 2,
            {
                "morning_mobility": 7,
                "micro_break": 5,
                "strength": 3,
                "cardio": 4,
                "evening_flexibility": 7,
                "mind_body": 7,
            },
        ]

    def test_minutes_for_the_full_plan_is_the_longest_day(self, roomy: Plan) -> None:
        longest = max(day.minutes for day in days(roomy))

        assert roomy.minutes_per_day_for_full_plan == -(-longest // 1)
        assert roomy.minutes_per_day_for_full_plan <= 120

    def test_the_plan_carries_its_versions_assessment_and_the_exercises_it_uses(
        self, roomy: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        assert roomy.dataset_version == catalogue.version
        assert (roomy.ruleset_version, roomy.generator_version) == ("r", "g")
        assert roomy.assessment.triage.level is TriageLevel.self_care
        assert roomy.inputs == options()
        used = {planned.slug for planned in all_items(roomy)}
        assert {e.slug for e in roomy.exercises} == used
        for exercise in roomy.exercises:
            assert exercise.steps == catalogue.by_slug[exercise.slug].steps
        assert roomy.stop_rule.startswith("Stop if you feel sharp or shooting pain")

    def test_week_summaries_add_up_the_days(self, roomy: Plan) -> None:
        for week in roomy.weeks:
            assert week.summary.minutes == round(sum(day.minutes for day in week.days), 2)
            assert week.summary.sessions == sum(len(day.sessions) for day in week.days)


class TestFindings:
    """PG-2: findings put their target areas first; a stiff, pain-free side works one step
    further up the range, on the exercises that work that side's movement."""

    def test_a_restricted_hip_puts_the_lunge_stretch_first_with_more_on_its_side(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(), outcome("hip_extension.restricted.right"))

        week_1 = session(plan.weeks[0].days[0], SessionKind.morning_mobility)
        assert slugs(week_1)[0] == "hip-flexor-lunge-stretch"
        lunge = item(week_1, "hip-flexor-lunge-stretch")
        assert lunge.extra_volume_side is Side.right
        assert lunge.extra_volume_dose is not None
        assert (lunge.dose.reps, lunge.extra_volume_dose.reps) == (8, 10)
        assert (lunge.why.rule_id, lunge.why.finding) == ("PG-2", "hip_extension.restricted.right")
        # At the top of the range there is no further step.
        week_7 = item(
            session(plan.weeks[6].days[0], SessionKind.morning_mobility),
            "hip-flexor-lunge-stretch",
        )
        assert (week_7.dose.reps, week_7.extra_volume_side) == (12, None)

    def test_extra_volume_goes_only_to_exercises_that_work_the_stiff_side(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(), outcome("hip_extension.restricted.right"))

        extra = {planned.slug for planned in all_items(plan) if planned.extra_volume_side}
        assert extra == {"hip-flexor-lunge-stretch", "evening-hip-flexor-stretch"}

    def test_a_tighter_rotation_moves_the_rotation_drills_first(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(), outcome("rotation.tighter_left"))

        for day in days(plan):
            assert slugs(session(day, SessionKind.morning_mobility)) == [
                "ninety-ninety-hip-switch",
                "piriformis-release",
                "deep-squat-hold",
                "hip-flexor-lunge-stretch",
            ]

    def test_micro_breaks_stay_under_a_minute_on_a_stiff_side(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(), outcome("rotation.tighter_left"))

        for found in sessions(plan, SessionKind.micro_break):
            assert all(planned.extra_volume_side is None for planned in found.items)

    def test_both_sides_stiff_is_no_side_difference(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(
            catalogue,
            options(),
            outcome("hip_extension.restricted.left", "hip_extension.restricted.right"),
        )

        assert all(planned.extra_volume_side is None for planned in all_items(plan))

    def test_a_gentle_plan_gives_no_extra_volume(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(
            catalogue, options(pain_now=7), outcome("hip_extension.restricted.right", pain=7)
        )

        assert all(planned.extra_volume_side is None for planned in all_items(plan))

    def test_items_without_a_targeted_area_keep_rule_pg1(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(), outcome("rotation.tighter_left"))

        lunge = item(
            session(plan.weeks[0].days[0], SessionKind.morning_mobility),
            "hip-flexor-lunge-stretch",
        )
        assert (lunge.why.rule_id, lunge.why.finding) == ("PG-1", None)
        assert (
            lunge.why.text == "Part of the morning mobilisation the plan has included since week 1."
        )


class TestPainfulSides:
    """PG-9: a painful side is made gentler, never given more volume."""

    def test_the_issues_persona_pain_9_and_a_painful_right_hip(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        """Pain 9 with a painful right hip extension gave the right side 12 reps of the lunge
        stretch from day 1. Now the right side stays at the low end, below the other side."""
        plan = generate(
            catalogue,
            options(pain_now=9),
            outcome("hip_extension.painful.right", level=TriageLevel.see_professional, pain=9),
        )

        for found in sessions(plan, SessionKind.morning_mobility):
            lunge = item(found, "hip-flexor-lunge-stretch")
            assert lunge.gentler_side is Side.right
            assert lunge.gentler_side_dose is not None
            assert lunge.gentler_side_dose.reps == 8
            assert lunge.gentler_side_dose.reps <= (lunge.dose.reps or 0)
            assert lunge.extra_volume_side is None
            assert lunge.caution is not None
            assert lunge.caution.startswith("Gentler on the right side: Lifting the right leg")

    def test_a_painful_side_and_a_stiff_other_side(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(
            catalogue,
            options(),
            outcome("hip_extension.painful.right", "hip_extension.restricted.left"),
        )

        lunge = item(
            session(plan.weeks[2].days[0], SessionKind.morning_mobility),
            "hip-flexor-lunge-stretch",
        )
        assert lunge.gentler_side is Side.right
        assert lunge.extra_volume_side is Side.left
        assert lunge.gentler_side_dose is not None
        assert lunge.extra_volume_dose is not None
        assert lunge.gentler_side_dose.reps == 8 < (lunge.dose.reps or 0) == 10
        assert lunge.extra_volume_dose.reps == 12

    def test_an_exercise_not_done_per_side_stays_at_the_low_end(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(), outcome("hip_extension.painful.right"))

        for week in range(5, 9):
            for found in sessions(plan, SessionKind.strength, week):
                march = item(found, "glute-bridge-march")
                assert (march.dose.sets, march.dose.reps) == (2, 10)
                assert march.caution is not None
                assert march.caution.startswith("Kept at the low end of the dose")

    def test_pain_on_both_sides_leaves_the_provoking_movements_out(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(
            catalogue,
            options(),
            outcome("hip_extension.painful.left", "hip_extension.painful.right"),
        )

        planned = {planned.slug for planned in all_items(plan)}
        assert not planned & {
            "hip-flexor-lunge-stretch",
            "evening-hip-flexor-stretch",
            "glute-bridge",
            "glute-bridge-march",
        }
        notes = [a.text for a in plan.adjustments if a.rule_id == "PG-9"]
        assert any(note.startswith("Hip Flexor Lunge Stretch is left out: ") for note in notes)

    def test_a_painful_bridge_leaves_out_bridging_and_the_deadlift(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(), outcome("bridge.painful"))

        for found in sessions(plan, SessionKind.strength):
            assert not set(slugs(found)) & {
                "glute-bridge",
                "glute-bridge-march",
                "hip-hinge-deadlift",
            }
        assert any("The bridge is painful" in a.text for a in plan.adjustments)

    def test_a_painful_rotation_to_one_side(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(catalogue, options(), outcome("rotation.painful_right"))

        breaks = sessions(plan, SessionKind.micro_break)[0]
        assert item(breaks, "standing-thoracic-rotation").gentler_side is Side.right
        morning = sessions(plan, SessionKind.morning_mobility, 3)[0]
        switch = item(morning, "ninety-ninety-hip-switch")
        assert switch.dose.reps == 8  # the low end while the week is at mid-range
        assert item(morning, "piriformis-release").dose.reps == 10

    def test_a_pain_free_regression_takes_the_exercises_place(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        """Rule (a) of PG-9, with a movement the ruleset does not list, to show the order:
        the deep squat hold's regression, the body-weight squat, is pain-free."""
        squatting = generator.PainfulMovement(
            finding="bridge.painful",
            summary="Squatting is painful.",
            sides=frozenset(),
            exercises=frozenset({"deep-squat-hold"}),
            sided=frozenset(),
        )
        base = outcome()
        plan = generate(
            catalogue,
            options(),
            generator.Outcome(
                assessment=base.assessment, findings=(), painful_movements=(squatting,)
            ),
        )

        morning = sessions(plan, SessionKind.morning_mobility)[0]
        assert "deep-squat-hold" not in slugs(morning)
        squat = item(morning, "body-weight-squat")
        assert squat.caution == (
            "Body-weight Squat in place of Deep Squat Hold, whose movement was painful "
            "(Squatting is painful) (PG-9)."
        )


class TestEquipment:
    """PG-3: nothing that needs missing equipment; a household object and a chair are at hand."""

    def test_without_a_band_the_pallof_press_is_left_out_and_nothing_comes_early(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        """The week-5 bridge march arrived in week 2 as the band's substitute; a substitute
        now comes only from what the table has introduced by that week."""
        plan = generate(catalogue, options(equipment=[]))

        assert all(planned.slug != "pallof-press" for planned in all_items(plan))
        for week in range(2, 5):
            for found in sessions(plan, SessionKind.strength, week):
                assert "glute-bridge-march" not in slugs(found)
                assert "hip-hinge-deadlift" not in slugs(found)
        assert any(
            a.rule_id == "PG-3" and a.text == "Pallof Press is left out: it needs resistance band."
            for a in plan.adjustments
        ), plan.adjustments

    def test_without_a_band_the_march_still_replaces_the_bridge_from_week_5(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(equipment=[]))

        for week in range(5, 9):
            for found in sessions(plan, SessionKind.strength, week):
                assert "glute-bridge-march" in slugs(found)
                assert "glute-bridge" not in slugs(found)

    def test_without_a_bicycle_cycling_becomes_walking(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(catalogue, options(equipment=[], cardio=["cycling"]))

        cardio = sessions(plan, SessionKind.cardio)
        assert len(cardio) == 20
        assert all(slugs(found) == ["walking"] for found in cardio)
        assert any(
            a.rule_id == "PG-3" and a.text == "Cycling needs bicycle: Walking takes its place."
            for a in plan.adjustments
        ), plan.adjustments

    def test_walking_and_cycling_both_appear_when_both_are_chosen(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(equipment=["bicycle"], cardio=["walking", "cycling"]))

        assert {found.items[0].slug for found in sessions(plan, SessionKind.cardio)} == {
            "walking",
            "cycling",
        }

    def test_a_household_object_is_enough_for_the_deadlift(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(equipment=[]))

        assert "hip-hinge-deadlift" in slugs(sessions(plan, SessionKind.strength, 5)[0])

    def test_a_chair_is_at_hand_for_the_seated_hip_opener(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        """The micro-breaks are for people who sit: a chair counts as at hand."""
        plan = generate(catalogue, options(equipment=[]))

        assert "seated-hip-opener" in slugs(sessions(plan, SessionKind.micro_break)[0])
        assert not [a for a in plan.adjustments if "Seated Hip Opener" in a.text]


class TestTimeBudget:
    """PG-4: a day never takes longer than the minutes available; what cannot fit is cut,
    whole, and named, with the minutes the full plan needs."""

    @pytest.mark.parametrize("minutes", [15, 20, 25, 30, 45, 60])
    def test_no_day_exceeds_the_minutes_and_each_day_is_its_sessions_total(
        self, catalogue: CatalogueSnapshot, minutes: int
    ) -> None:
        plan = generate(catalogue, options(minutes_per_day=minutes))

        for day in days(plan):
            assert day.minutes <= minutes, day.date
            assert day.minutes == round(sum(s.minutes for s in day.sessions), 2), day.date

    def test_the_minimum_is_the_essentials_at_every_weeks_dose(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        """Week 7's morning drills at the top (10 minutes) and ten half-minute breaks in an
        eight-hour working day."""
        with pytest.raises(generator.NotEnoughTime) as raised:
            generate(catalogue, options(minutes_per_day=14))

        assert raised.value.minimum_minutes == 15
        plan = generate(catalogue, options(minutes_per_day=15))
        for day in days(plan):
            assert SessionKind.morning_mobility in kinds(day)
            assert (SessionKind.micro_break in kinds(day)) == (day.weekday.value in WORK_WEEK)

    def test_without_working_days_the_minimum_is_the_morning_drills(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        with pytest.raises(generator.NotEnoughTime) as raised:
            generate(catalogue, options(minutes_per_day=9, working_days=[]))

        assert raised.value.minimum_minutes == 10

    def test_the_readme_persona_names_every_cut(self, catalogue: CatalogueSnapshot) -> None:
        """The README's desk worker with 30 minutes: cardio does not fit beside the morning
        drills and micro-breaks on most days, and the plan says exactly that."""
        desk_worker = outcome(
            "hip_extension.restricted.right",
            "rotation.tighter_right",
            "bridge.lumbar_before_glutes",
            pain=4,
        )

        def plan_with(minutes: int) -> Plan:
            training = ["monday", "wednesday", "friday", "saturday"]
            return generate(
                catalogue,
                options(
                    minutes_per_day=minutes, equipment=["resistance_band"], training_days=training
                ),
                desk_worker,
            )

        plan = plan_with(30)

        assert cuts(plan, week=4) == [(4, "cardio", 3, 4, "minutes")]
        first = next(c for c in plan.cuts if c.week == 4)
        assert first.text == (
            "Week 4: cardio 3 of 4 sessions cut: 30 minutes a day cannot hold it beside the "
            "day's other sessions (PG-4)."
        )
        assert plan.minutes_per_day_for_full_plan > 30
        full = plan_with(plan.minutes_per_day_for_full_plan)
        assert cuts(full, reason=CutReason.minutes) == []

    def test_cuts_follow_the_priority_order_in_the_settings(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        """With cardio kept before strength, the short days lose strength instead."""
        order = [
            SessionKind.morning_mobility,
            SessionKind.micro_break,
            SessionKind.cardio,
            SessionKind.strength,
            SessionKind.evening_flexibility,
            SessionKind.mind_body,
        ]
        cardio_first = SETTINGS.model_copy(update={"keep_first": order})
        plan_options = options(minutes_per_day=40, training_days=["monday", "wednesday", "friday"])

        usual = generate(catalogue, plan_options)
        swapped = generate(catalogue, plan_options, settings=cardio_first)

        assert sum(c.cut for c in usual.cuts if c.kind is SessionKind.cardio) > sum(
            c.cut for c in swapped.cuts if c.kind is SessionKind.cardio
        )
        assert sum(c.cut for c in usual.cuts if c.kind is SessionKind.strength) < sum(
            c.cut for c in swapped.cuts if c.kind is SessionKind.strength
        )

    def test_cardio_takes_the_tables_20_minutes_on_a_short_day_and_says_so(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        """The table gives cardio "20–30 min": 20 is a full session, so a day that cannot hold
        week 5's 25 minutes walks for 20 rather than not at all."""
        plan = generate(
            catalogue, options(minutes_per_day=30, training_days=["saturday", "sunday"])
        )

        assert {s.minutes for s in sessions(plan, SessionKind.cardio, 5)} == {20}
        # Two training days for four sessions; the strength day cannot hold even 20 minutes.
        assert cuts(plan, week=5, kind=SessionKind.cardio) == [
            (5, "cardio", 2, 4, "training_days"),
            (5, "cardio", 1, 4, "minutes"),
        ]
        assert any(
            a.text.startswith("Week 5: cardio is 20 minutes, the low end of the table's range")
            for a in plan.adjustments
        ), plan.adjustments

    @pytest.mark.parametrize("minutes", [20, 30, 40])
    def test_busy_days_never_drop_to_the_low_end(
        self, catalogue: CatalogueSnapshot, minutes: int
    ) -> None:
        """A session keeps the week's dose on every day it falls on, however short the day."""
        roomy_plan = generate(catalogue, options())
        short = generate(catalogue, options(minutes_per_day=minutes))

        for week in range(1, 9):
            for kind in SessionKind:
                full_dose = {tuple(s.items) for s in sessions(roomy_plan, kind, week)}
                short_dose = {tuple(s.items) for s in sessions(short, kind, week)}
                if kind in (SessionKind.cardio, SessionKind.mind_body):
                    continue  # the activity alternates by date; its dose is checked below
                assert short_dose <= full_dose, (week, kind)
            # Cardio alone may take the table's own low end, 20 minutes, on a short day.
            assert {s.minutes for s in sessions(short, SessionKind.cardio, week)} <= {
                20,
                *(s.minutes for s in sessions(roomy_plan, SessionKind.cardio, week)),
            }


class TestWeekPattern:
    """PG-5: strength never on consecutive days; strength and cardio on chosen weekdays."""

    @pytest.mark.parametrize(
        "training_days",
        [
            list(WEEKDAYS),
            ["saturday", "sunday", "monday"],
            ["sunday", "monday"],
            ["monday", "tuesday", "wednesday"],
            ["friday", "saturday", "sunday", "monday", "tuesday"],
            ["thursday"],
        ],
    )
    @pytest.mark.parametrize("start_date", ["2026-12-07", "2026-12-10", "2026-12-13"])
    def test_strength_never_on_consecutive_dates(
        self, catalogue: CatalogueSnapshot, training_days: list[str], start_date: str
    ) -> None:
        plan = generate(catalogue, options(training_days=training_days, start_date=start_date))

        dates = strength_dates(plan)
        assert dates
        assert no_two_consecutive(dates)

    def test_strength_and_cardio_only_on_training_days(self, catalogue: CatalogueSnapshot) -> None:
        training = ["tuesday", "thursday", "saturday"]
        plan = generate(catalogue, options(training_days=training))

        for day in days(plan):
            if day.weekday.value not in training:
                assert not kinds(day) & {SessionKind.strength, SessionKind.cardio}, day.date

    def test_fewer_training_days_than_the_table_asks_are_cut_and_named(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, options(training_days=["tuesday", "wednesday"]))

        assert [w.summary.strength_days for w in plan.weeks][1:] == [1] * 7
        assert [w.summary.cardio_days for w in plan.weeks][3:] == [2] * 5
        assert cuts(plan, week=4) == [
            (4, "strength", 2, 3, "training_days"),
            (4, "cardio", 2, 4, "training_days"),
        ]
        texts = [c.text for c in plan.cuts if c.week == 4]
        assert texts == [
            "Week 4: strength 2 of 3 sessions cut: the training days (tuesday, wednesday) hold "
            "only 1 without two in a row (PG-5).",
            "Week 4: cardio 2 of 4 sessions cut: only 2 training days were chosen (tuesday, "
            "wednesday).",
        ]


class TestHighPain:
    """PG-6: pain 7+ starts gentler, and the note says that is why."""

    @pytest.fixture(scope="class")
    def gentle(self, catalogue: CatalogueSnapshot) -> Plan:
        return generate(catalogue, options(pain_now=7), outcome(pain=7))

    def test_mind_body_daily_from_week_1(self, gentle: Plan) -> None:
        assert all(session(day, SessionKind.mind_body) is not None for day in days(gentle))

    def test_strength_starts_a_week_later_and_the_cut_says_why(self, gentle: Plan) -> None:
        assert [w.summary.strength_days for w in gentle.weeks] == [0, 0, 3, 3, 3, 3, 3, 3]
        assert cuts(gentle, week=2) == [(2, "strength", 3, 3, "pain")]
        assert "your pain of 7 out of 10 starts strength in week 3" in gentle.cuts[0].text

    def test_weeks_1_to_4_stay_at_the_low_end(
        self, gentle: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        for week in gentle.weeks[:4]:
            for planned in (i for day in week.days for s in day.sessions for i in s.items):
                exercise = catalogue.by_slug[planned.slug]
                assert planned.dose.reps == bottom(exercise.dose.reps)
                assert planned.dose.hold_seconds == bottom(exercise.dose.hold_seconds)

    def test_the_note_states_the_real_reason(self, gentle: Plan) -> None:
        assert gentle.adjustments[0].rule_id == "PG-6"
        assert gentle.adjustments[0].text.startswith(
            "Your pain of 7 out of 10 (7 or more) starts the plan gentler"
        )

    def test_pain_6_is_not_gentle(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(catalogue, options(pain_now=6), outcome(pain=6))

        assert all(a.rule_id != "PG-6" for a in plan.adjustments)
        assert session(plan.weeks[0].days[0], SessionKind.mind_body) is None


class TestSeeProfessional:
    """PG-8: see_professional gives gentle mobility, breathing and the daily habits only, and
    every week says to see a professional and why."""

    @pytest.fixture(scope="class")
    def gentle(self, catalogue: CatalogueSnapshot) -> Plan:
        return generate(
            catalogue, options(pain_now=2), outcome(level=TriageLevel.see_professional, pain=2)
        )

    def test_no_strength_no_cardio_nothing_loaded(self, gentle: Plan) -> None:
        for day in days(gentle):
            assert not kinds(day) & {SessionKind.strength, SessionKind.cardio}
        assert all(planned.dose.load is None for planned in all_items(gentle))

    def test_held_back_sessions_are_cuts_for_triage(self, gentle: Plan) -> None:
        assert cuts(gentle, week=4) == [
            (4, "strength", 3, 3, "triage"),
            (4, "cardio", 4, 4, "triage"),
        ]

    def test_every_week_carries_the_advice_and_why(self, gentle: Plan) -> None:
        for week in gentle.weeks:
            assert week.care_advice == (
                f"{triage(TriageLevel.see_professional).advice} Why: Your pain has lasted 8 weeks."
            )

    def test_breathing_and_mobility_from_week_1(self, gentle: Plan) -> None:
        assert kinds(gentle.weeks[0].days[0]) == {
            SessionKind.morning_mobility,
            SessionKind.micro_break,
            SessionKind.mind_body,
        }

    def test_the_notes_say_the_real_reason_not_high_pain(self, gentle: Plan) -> None:
        assert [a.rule_id for a in gentle.adjustments] == ["PG-8"]
        assert gentle.adjustments[0].text.startswith(
            "Triage see_professional: Your pain has lasted 8 weeks."
        )
        assert not any("pain of 2" in a.text for a in gentle.adjustments)


class TestRefusal:
    """PG-8: emergency and urgent give no plan at all."""

    @pytest.mark.parametrize("level", [TriageLevel.emergency, TriageLevel.urgent])
    def test_refused_with_the_triage(
        self, catalogue: CatalogueSnapshot, level: TriageLevel
    ) -> None:
        with pytest.raises(generator.PlanRefused) as refused:
            generate(catalogue, options(), outcome(level=level))

        assert refused.value.triage.level is level

    def test_refusal_comes_before_the_time_check(self, catalogue: CatalogueSnapshot) -> None:
        with pytest.raises(generator.PlanRefused):
            generate(catalogue, options(minutes_per_day=5), outcome(level=TriageLevel.emergency))


class TestDeterminism:
    def test_same_input_same_plan_byte_for_byte(self, catalogue: CatalogueSnapshot) -> None:
        plan_options = options(pain_now=8, equipment=[], minutes_per_day=25)
        assessment = outcome("hip_extension.restricted.left", "bridge.unable", pain=8)

        first = generate(catalogue, plan_options, assessment).model_dump_json()
        second = generate(catalogue, plan_options, assessment).model_dump_json()

        assert first == second

    def test_input_hash_is_the_sha256_of_the_canonical_request(self) -> None:
        request = {"b": 1, "a": [1, 2]}

        assert generator.input_hash(request) == generator.input_hash({"a": [1, 2], "b": 1})
        assert len(generator.input_hash(request)) == 64


class TestNoSideDifference:
    def test_tighter_both_ways_gives_neither_side_more(self, catalogue: CatalogueSnapshot) -> None:
        """Seated rotation tighter both ways means no side difference (documented in the
        answer's meaning): both sides are stiff alike, so no side gets extra volume."""
        plan = generate(
            catalogue, options(), outcome("rotation.tighter_left", "rotation.tighter_right")
        )

        assert all(planned.extra_volume_side is None for planned in all_items(plan))
        assert all(planned.gentler_side is None for planned in all_items(plan))
