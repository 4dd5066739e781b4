"""The pure plan generator against the guide's 8-week table and the rules PG-1 to PG-8.

No database and no app: a request, an assessment outcome and the catalogue in, a plan out.
"""

import hashlib
import itertools
import json
import math
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.assessments.schemas import TriageLevel
from app.assessments.service import Assessments
from app.catalogue.content import Content
from app.catalogue.schemas import Equipment, ExercisePublic, Range, SessionKind, Side, Target
from app.catalogue.snapshot import CatalogueSnapshot
from app.plans import generator
from app.plans.schemas import (
    FINDING_CODES,
    Cardio,
    ItemDose,
    Plan,
    PlanDay,
    PlanItem,
    PlanRequest,
    PlanSession,
    Weekday,
)

SETTINGS = generator.load_settings()
VERSIONS = generator.Versions(ruleset="r", generator="g")
FINDINGS = Assessments.load().findings_by_code
MICRO_BREAK_INTERVAL = SETTINGS.micro_break_interval_minutes
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

# Room for every session of every week at its full dose (week 8 peaks at 74.5 minutes), so the
# plan shows the guide's table undiluted by PG-4.
ROOMY: dict[str, Any] = {
    "assessment": {"kind": "result", "triage": "self_care", "findings": []},
    "pain_now": 3,
    "equipment": ["resistance_band", "light_weights"],
    "minutes_per_day": 90,
    "training_days": ["monday", "wednesday", "friday", "saturday", "sunday"],
    "cardio": ["walking"],
    "start_date": "2026-12-07",  # a Monday
    "time_zone": "Europe/London",
    "working_hours": {"start": "09:00", "end": "17:00"},
    "working_days": WORK_WEEK,
}


def make_request(**overrides: Any) -> PlanRequest:
    return PlanRequest.model_validate({**ROOMY, **overrides})


def plan_finding(code: str) -> generator.PlanFinding:
    finding = FINDINGS[code]
    return generator.PlanFinding(
        code=finding.code,
        summary=finding.summary,
        side=finding.side,
        targets=tuple(finding.targets),
    )


def outcome(*codes: str, triage: TriageLevel = TriageLevel.self_care) -> generator.Outcome:
    return generator.Outcome(triage=triage, findings=tuple(plan_finding(code) for code in codes))


def generate(
    catalogue: CatalogueSnapshot,
    request: PlanRequest,
    assessment: generator.Outcome | None = None,
) -> Plan:
    return generator.generate(
        request,
        assessment if assessment is not None else outcome(),
        catalogue=catalogue,
        settings=SETTINGS,
        versions=VERSIONS,
    )


def days(plan: Plan) -> Iterator[PlanDay]:
    for week in plan.weeks:
        yield from week.days


def session(day: PlanDay, kind: SessionKind) -> PlanSession | None:
    found = [s for s in day.sessions if s.kind is kind]
    assert len(found) <= 1, f"{day.date}: {len(found)} {kind} sessions"
    return found[0] if found else None


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


def value_at_top(value_range: Range | None) -> int | None:
    return None if value_range is None else int(value_range.maximum)


def value_at_bottom(value_range: Range | None) -> int | None:
    return None if value_range is None else int(value_range.minimum)


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


def no_two_consecutive(dates: list[date]) -> bool:
    return all(b - a > timedelta(days=1) for a, b in itertools.pairwise(sorted(dates)))


def strength_dates(plan: Plan) -> list[date]:
    return [day.date for day in days(plan) if session(day, SessionKind.strength)]


@pytest.fixture(scope="module")
def catalogue(content: Content) -> CatalogueSnapshot:
    return CatalogueSnapshot(
        version=content.version, exercises=content.exercises, guidance=content.guidance
    )


@pytest.fixture(scope="module")
def roomy(catalogue: CatalogueSnapshot) -> Plan:
    return generate(catalogue, make_request())


class TestGuideTable:
    """The roomy profile, week by week against 'Your 8-Week Hip-Spine Connection Plan'."""

    def test_eight_weeks_of_seven_consecutive_days_from_the_start_date(self, roomy: Plan) -> None:
        dates = [day.date for day in days(roomy)]

        assert [week.week for week in roomy.weeks] == list(range(1, 9))
        assert dates == [date(2026, 12, 7) + timedelta(days=n) for n in range(56)]
        assert all(day.weekday == WEEKDAYS[day.date.weekday()] for day in days(roomy))

    def test_focus_frequency_and_source_are_the_template_rows(
        self, roomy: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        template = catalogue.guidance.plan_template

        assert [(w.focus, w.frequency, w.source_section) for w in roomy.weeks] == [
            (row.focus, row.frequency.text, row.source_section) for row in template
        ]

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

    def test_habit_focus_is_the_template_rows_habits(
        self, roomy: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        habits = {habit.slug: habit for habit in catalogue.guidance.habits}

        for week, row in zip(roomy.weeks, catalogue.guidance.plan_template, strict=True):
            assert [(h.slug, h.name, h.tips) for h in week.habit_focus] == [
                (slug, habits[slug].name, habits[slug].tips) for slug in row.habit_focus
            ]
        assert [h.slug for h in roomy.weeks[0].habit_focus] == ["desk-setup", "chair-breaks"]
        assert [h.slug for h in roomy.weeks[7].habit_focus] == [
            "desk-setup",
            "driving",
            "mind-body",
        ]

    def test_every_week_carries_the_safety_rules(
        self, roomy: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        expected = [rule.rule for rule in catalogue.guidance.safety_rules]

        assert expected
        assert all(week.safety_rules == expected for week in roomy.weeks)

    def test_week_1_is_morning_mobilisation_daily_and_micro_breaks_on_working_days(
        self, roomy: Plan
    ) -> None:
        for day in roomy.weeks[0].days:
            if day.weekday.value in WORK_WEEK:
                assert kinds(day) == {SessionKind.morning_mobility, SessionKind.micro_break}
            else:
                assert kinds(day) == {SessionKind.morning_mobility}

    def test_morning_mobilisation_is_the_four_drills_every_day(self, roomy: Plan) -> None:
        for day in days(roomy):
            morning = session(day, SessionKind.morning_mobility)
            assert slugs(morning) == MORNING_DRILLS
            assert morning is not None
            assert morning.start == time(7, 30)
            assert 5 <= morning.minutes <= 10  # "Spend 5–10 minutes daily"

    def test_micro_breaks_repeat_every_30_to_45_minutes_on_working_days_only(
        self, roomy: Plan
    ) -> None:
        for day in days(roomy):
            breaks = session(day, SessionKind.micro_break)
            if day.weekday.value not in WORK_WEEK:
                assert breaks is None
                continue
            assert breaks is not None
            assert breaks.repeat_every_minutes is not None
            assert 30 <= breaks.repeat_every_minutes <= 45
            assert breaks.repeats == 8 * 60 // breaks.repeat_every_minutes
            assert all(i.dose.minutes < 1 for i in breaks.items)  # "each under one minute"

    def test_no_strength_cardio_evening_or_mind_body_in_week_1(self, roomy: Plan) -> None:
        later = {
            SessionKind.strength,
            SessionKind.cardio,
            SessionKind.evening_flexibility,
            SessionKind.mind_body,
        }
        assert all(not kinds(day) & later for day in roomy.weeks[0].days)

    def test_strength_from_week_2_three_times_a_week_on_the_same_spaced_training_days(
        self, roomy: Plan
    ) -> None:
        weekly = [
            [day.weekday for day in week.days if session(day, SessionKind.strength)]
            for week in roomy.weeks
        ]

        assert weekly[0] == []
        assert all(len(week) == 3 for week in weekly[1:])
        assert all(week == weekly[1] for week in weekly[1:])
        assert set(weekly[1]) <= {Weekday(d) for d in ROOMY["training_days"]}
        assert [w.summary.strength_days for w in roomy.weeks] == [0, 3, 3, 3, 3, 3, 3, 3]

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
        sessions = [session(day, SessionKind.strength) for day in roomy.weeks[week - 1].days]
        found = [s for s in sessions if s is not None]

        assert len(found) == 3
        assert all(set(slugs(s)) == expected for s in found)

    def test_glute_bridge_march_replaces_the_bridge_from_week_5(self, roomy: Plan) -> None:
        def strength_slugs(week: int) -> set[str]:
            found = [session(day, SessionKind.strength) for day in roomy.weeks[week - 1].days]
            return {slug for s in found if s is not None for slug in slugs(s)}

        assert "glute-bridge" in strength_slugs(4)
        assert "glute-bridge-march" not in strength_slugs(4)
        assert "hip-hinge-deadlift" not in strength_slugs(4)
        for week in range(5, 9):
            assert "glute-bridge" not in strength_slugs(week)
            assert {"glute-bridge-march", "hip-hinge-deadlift"} <= strength_slugs(week)
        assert [a.rule_id for a in roomy.adjustments].count("PG-7") == 1

    def test_no_cardio_before_week_4(self, roomy: Plan) -> None:
        assert all(
            session(day, SessionKind.cardio) is None
            for week in roomy.weeks[:3]
            for day in week.days
        )

    def test_cardio_from_week_4_four_times_a_week_walking_20_to_30_minutes(
        self, roomy: Plan
    ) -> None:
        for week in roomy.weeks[3:]:
            cardio = [s for day in week.days if (s := session(day, SessionKind.cardio))]
            assert len(cardio) == 4
            assert week.summary.cardio_days == 4
            for found in cardio:
                assert slugs(found) == ["walking"]
                assert 20 <= found.minutes <= 30
                assert found.items[0].dose.minutes == found.minutes

    def test_cardio_is_on_training_days(self, roomy: Plan) -> None:
        training = {Weekday(d) for d in ROOMY["training_days"]}

        cardio_days = {day.weekday for day in days(roomy) if session(day, SessionKind.cardio)}

        assert cardio_days <= training

    def test_evening_flexibility_daily_from_week_6(self, roomy: Plan) -> None:
        for week in roomy.weeks:
            for day in week.days:
                evening = session(day, SessionKind.evening_flexibility)
                if week.week < 6:
                    assert evening is None
                else:
                    assert slugs(evening) == EVENING_STRETCHES

    def test_mind_body_daily_in_week_8_only(self, roomy: Plan) -> None:
        for week in roomy.weeks:
            for day in week.days:
                mind_body = session(day, SessionKind.mind_body)
                if week.week < 8:
                    assert mind_body is None
                else:
                    assert mind_body is not None
                    assert len(mind_body.items) == 1
                    assert mind_body.items[0].slug in {
                        "diaphragmatic-breathing",
                        "guided-meditation",
                    }
                    assert mind_body.minutes == 5

    def test_weeks_1_and_2_start_at_the_low_end(
        self, roomy: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        for week in roomy.weeks[:2]:
            for day in week.days:
                for found in day.sessions:
                    for planned in found.items:
                        ranges = catalogue.by_slug[planned.slug].dose
                        assert planned.dose.sets == value_at_bottom(ranges.sets)
                        assert planned.dose.reps == value_at_bottom(ranges.reps)
                        assert planned.dose.hold_seconds == value_at_bottom(ranges.hold_seconds)

    def test_week_7_doses_reach_the_top_of_the_guides_ranges(self, roomy: Plan) -> None:
        for day in roomy.weeks[6].days:
            morning = session(day, SessionKind.morning_mobility)
            assert morning is not None
            assert [(i.dose.reps, i.dose.hold_seconds) for i in morning.items] == [
                (12, None),
                (12, None),
                (12, None),
                (None, 30),
            ]
            assert morning.minutes == 10
            strength = session(day, SessionKind.strength)
            if strength is not None:
                assert item(strength, "pallof-press").dose.sets == 3
                assert item(strength, "glute-bridge-march").dose.sets == 3
            evening = session(day, SessionKind.evening_flexibility)
            assert evening is not None
            assert [i.dose.hold_seconds for i in evening.items] == [30, 30, 30]
            cardio = session(day, SessionKind.cardio)
            if cardio is not None:
                assert cardio.minutes == 30

    def test_week_7_every_item_is_at_the_top_of_its_range(
        self, roomy: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        for day in roomy.weeks[6].days:
            for found in day.sessions:
                if found.kind is SessionKind.micro_break:
                    continue  # each break stays under one minute, whatever the week
                for planned in found.items:
                    ranges = catalogue.by_slug[planned.slug].dose
                    assert planned.dose.sets == value_at_top(ranges.sets), planned.slug
                    assert planned.dose.reps == value_at_top(ranges.reps), planned.slug
                    assert planned.dose.hold_seconds == value_at_top(ranges.hold_seconds)

    def test_no_adjustments_but_the_progression_and_the_missing_chair(self, roomy: Plan) -> None:
        assert [a.rule_id for a in roomy.adjustments] == ["PG-3", "PG-7"]
        assert "Seated Hip Opener" in roomy.adjustments[0].text

    def test_week_summaries_add_up_the_days(self, roomy: Plan) -> None:
        for week in roomy.weeks:
            assert week.summary.minutes == round(sum(day.minutes for day in week.days), 2)
            assert week.summary.sessions == sum(len(day.sessions) for day in week.days)

    def test_plan_carries_versions_triage_and_findings(
        self, roomy: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        assert roomy.dataset_version == catalogue.version
        assert (roomy.ruleset_version, roomy.generator_version) == ("r", "g")
        assert roomy.triage is TriageLevel.self_care
        assert roomy.findings == []
        assert roomy.inputs == make_request()


class TestFindings:
    """PG-2: findings put their target areas first; their side works at the top of the range."""

    def test_hip_flexor_finding_puts_the_lunge_stretch_first_with_extra_volume_on_its_side(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(), outcome("hip_extension.restricted.right"))

        for day in days(plan):
            morning = session(day, SessionKind.morning_mobility)
            assert slugs(morning)[0] == "hip-flexor-lunge-stretch"
            first = item(morning, "hip-flexor-lunge-stretch")
            assert first.extra_volume_side is Side.right
            assert first.extra_volume_dose is not None
            assert first.extra_volume_dose.reps == 12
            assert first.why.rule_id == "PG-2"
            assert first.why.finding == "hip_extension.restricted.right"
        assert plan.findings == ["hip_extension.restricted.right"]

    def test_rotation_finding_moves_the_rotator_drills_before_the_hip_flexor_stretch(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(), outcome("rotation.tighter_left"))

        for day in days(plan):
            assert slugs(session(day, SessionKind.morning_mobility)) == [
                "ninety-ninety-hip-switch",
                "piriformis-release",
                "deep-squat-hold",
                "hip-flexor-lunge-stretch",
            ]

    def test_extra_volume_dose_is_the_top_of_the_range_for_per_side_exercises_only(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(), outcome("rotation.tighter_left"))

        for planned in all_items(plan):
            exercise = catalogue.by_slug[planned.slug]
            targeted = bool({Target.hip_rotators, Target.thoracic_spine} & set(exercise.targets))
            if targeted and exercise.dose.per_side:
                assert planned.extra_volume_side is Side.left, planned.slug
                extra = planned.extra_volume_dose
                assert extra is not None
                assert extra.sets == value_at_top(exercise.dose.sets)
                assert extra.reps == value_at_top(exercise.dose.reps)
                assert extra.hold_seconds == value_at_top(exercise.dose.hold_seconds)
                assert extra.minutes == exercise.dose.duration_minutes.maximum
            else:
                assert planned.extra_volume_side is None, planned.slug
                assert planned.extra_volume_dose is None, planned.slug

    def test_a_finding_without_a_side_reorders_but_adds_no_extra_volume(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(), outcome("bridge.lumbar_before_glutes"))

        morning = session(plan.weeks[0].days[0], SessionKind.morning_mobility)
        assert slugs(morning)[:2] == ["piriformis-release", "deep-squat-hold"]
        assert all(planned.extra_volume_side is None for planned in all_items(plan))
        strength = session(plan.weeks[4].days[0], SessionKind.strength)
        assert slugs(strength)[0] == "glute-bridge-march"

    def test_items_without_a_targeted_area_keep_rule_pg1(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(), outcome("rotation.tighter_left"))

        lunge = item(
            session(plan.weeks[0].days[0], SessionKind.morning_mobility),
            "hip-flexor-lunge-stretch",
        )
        assert (lunge.why.rule_id, lunge.why.finding) == ("PG-1", None)

    def test_a_sided_finding_keeps_its_extra_volume_after_a_side_less_finding(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        """Pallof press (core, per side) works the restricted right side harder whatever the
        order the result lists its findings in."""
        sided_first = generate(
            catalogue,
            make_request(),
            outcome("hip_extension.restricted.right", "bridge.lumbar_before_glutes"),
        )
        side_less_first = generate(
            catalogue,
            make_request(),
            outcome("bridge.lumbar_before_glutes", "hip_extension.restricted.right"),
        )

        for plan in (sided_first, side_less_first):
            pallof = item(session(plan.weeks[1].days[0], SessionKind.strength), "pallof-press")
            assert pallof.extra_volume_side is Side.right


class TestEquipment:
    """PG-3: nothing that needs missing equipment; a household object is always at hand."""

    def test_without_a_band_no_pallof_press_and_an_adjustment_names_the_substitute(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(equipment=["light_weights"]))

        assert all(planned.slug != "pallof-press" for planned in all_items(plan))
        texts = [a.text for a in plan.adjustments if a.rule_id == "PG-3"]
        assert any(
            text.startswith("Pallof Press needs resistance band: ") and "takes its place" in text
            for text in texts
        ), texts

    def test_without_a_band_the_march_still_replaces_the_bridge_from_week_5(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(equipment=[]))

        for week in plan.weeks[4:]:
            for day in week.days:
                strength = session(day, SessionKind.strength)
                if strength is not None:
                    assert "glute-bridge-march" in slugs(strength)
                    assert "glute-bridge" not in slugs(strength), (week.week, slugs(strength))

    def test_without_a_bicycle_cycling_becomes_walking(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(catalogue, make_request(equipment=[], cardio=["cycling"]))

        cardio = [s for day in days(plan) if (s := session(day, SessionKind.cardio))]
        assert len(cardio) == 20
        assert all(slugs(found) == ["walking"] for found in cardio)
        assert any(
            a.rule_id == "PG-3" and a.text == "Cycling needs bicycle: Walking takes its place."
            for a in plan.adjustments
        ), plan.adjustments

    def test_with_a_bicycle_cycling_is_planned(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(catalogue, make_request(equipment=["bicycle"], cardio=["cycling"]))

        cardio = [s for day in days(plan) if (s := session(day, SessionKind.cardio))]
        assert cardio
        assert all(slugs(found) == ["cycling"] for found in cardio)

    def test_walking_and_cycling_both_appear_when_both_are_chosen(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(
            catalogue, make_request(equipment=["bicycle"], cardio=["walking", "cycling"])
        )

        cardio = {
            found.items[0].slug
            for day in days(plan)
            if (found := session(day, SessionKind.cardio)) is not None
        }
        assert cardio == {"walking", "cycling"}

    def test_a_household_object_is_enough_for_the_deadlift(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(equipment=[]))

        assert "hip-hinge-deadlift" in slugs(session(plan.weeks[4].days[0], SessionKind.strength))

    def test_with_a_chair_the_seated_hip_opener_is_a_micro_break(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(equipment=["chair"]))

        assert slugs(session(plan.weeks[0].days[0], SessionKind.micro_break)) == [
            "hip-circles",
            "seated-hip-opener",
            "standing-thoracic-rotation",
            "body-weight-squat",
            "childs-pose-variation",
        ]


class TestTimeBudget:
    """PG-4: a day never takes longer than the minutes available."""

    @pytest.mark.parametrize("minutes", [10, 12, 15, 20, 25, 30, 45, 60])
    def test_no_day_exceeds_the_minutes_and_each_day_is_its_sessions_total(
        self, catalogue: CatalogueSnapshot, minutes: int
    ) -> None:
        plan = generate(catalogue, make_request(minutes_per_day=minutes))

        for day in days(plan):
            assert day.minutes <= minutes, day.date
            assert day.minutes == round(sum(s.minutes for s in day.sessions), 2), day.date
            for found in day.sessions:
                if found.kind is not SessionKind.micro_break:
                    assert found.minutes == round(sum(i.dose.minutes for i in found.items), 2)

    def test_nine_minutes_with_an_eight_hour_working_day_needs_ten(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        with pytest.raises(generator.NotEnoughTime) as raised:
            generate(catalogue, make_request(minutes_per_day=9))

        # 5 minutes of morning drills at the low end + 10 half-minute breaks in 8 hours.
        assert raised.value.minimum_minutes == 10

    def test_exactly_the_minimum_gives_the_essentials_every_day(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(minutes_per_day=10))

        for day in days(plan):
            assert SessionKind.morning_mobility in kinds(day)
            assert (SessionKind.micro_break in kinds(day)) == (day.weekday.value in WORK_WEEK)
        assert any(a.rule_id == "PG-4" for a in plan.adjustments)

    def test_without_working_days_the_minimum_is_the_morning_drills(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(minutes_per_day=5, working_days=[]))

        assert all(kinds(day) == {SessionKind.morning_mobility} for day in days(plan))
        assert all(day.minutes == 5 for day in days(plan))

    def test_longer_working_hours_need_more_minutes(self, catalogue: CatalogueSnapshot) -> None:
        with pytest.raises(generator.NotEnoughTime) as raised:
            generate(
                catalogue,
                make_request(minutes_per_day=12, working_hours={"start": "07:00", "end": "19:00"}),
            )

        assert raised.value.minimum_minutes == 13  # 5 + 16 breaks of half a minute

    def test_sessions_left_out_for_time_are_noted(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(catalogue, make_request(minutes_per_day=15))

        assert all(session(day, SessionKind.cardio) is None for day in days(plan))
        assert any(a.rule_id == "PG-4" and "cardio" in a.text for a in plan.adjustments), (
            plan.adjustments
        )

    @pytest.mark.parametrize(
        ("start", "end"),
        [("09:00", "17:00"), ("08:00", "08:40"), ("09:00", "09:30"), ("23:30", "23:59")],
    )
    def test_micro_breaks_fall_within_the_working_hours(
        self, catalogue: CatalogueSnapshot, start: str, end: str
    ) -> None:
        plan = generate(catalogue, make_request(working_hours={"start": start, "end": end}))

        opens = datetime.combine(date(2026, 12, 7), time.fromisoformat(start))
        closes = datetime.combine(date(2026, 12, 7), time.fromisoformat(end))
        breaks = session(plan.weeks[0].days[0], SessionKind.micro_break)
        if closes - opens < timedelta(minutes=MICRO_BREAK_INTERVAL):
            assert breaks is None  # no 45 minutes of sitting, so no break is due
            return
        assert breaks is not None
        assert breaks.repeat_every_minutes is not None
        first = datetime.combine(date(2026, 12, 7), breaks.start)
        times = [
            first + timedelta(minutes=n * breaks.repeat_every_minutes)
            for n in range(breaks.repeats)
        ]
        assert all(opens <= moment <= closes for moment in times), (breaks.start, breaks.repeats)


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
    def test_strength_never_on_consecutive_dates(
        self, catalogue: CatalogueSnapshot, training_days: list[str]
    ) -> None:
        plan = generate(catalogue, make_request(training_days=training_days))

        dates = strength_dates(plan)
        assert dates
        assert no_two_consecutive(dates)

    @pytest.mark.parametrize("start_date", ["2026-12-07", "2026-12-10", "2026-12-13"])
    def test_sunday_and_monday_are_never_both_strength_days(
        self, catalogue: CatalogueSnapshot, start_date: str
    ) -> None:
        plan = generate(
            catalogue,
            make_request(training_days=["sunday", "monday", "wednesday"], start_date=start_date),
        )

        dates = strength_dates(plan)
        assert no_two_consecutive(dates)
        assert {d.weekday() for d in dates} in ({0, 2}, {2, 6})

    def test_strength_and_cardio_only_on_training_days(self, catalogue: CatalogueSnapshot) -> None:
        training = ["tuesday", "thursday", "saturday"]
        plan = generate(catalogue, make_request(training_days=training))

        for day in days(plan):
            if day.weekday.value not in training:
                assert not kinds(day) & {SessionKind.strength, SessionKind.cardio}, day.date

    def test_all_seven_days_free_gives_three_strength_and_four_cardio_days(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(training_days=list(WEEKDAYS)))

        assert [w.summary.strength_days for w in plan.weeks] == [0, 3, 3, 3, 3, 3, 3, 3]
        assert [w.summary.cardio_days for w in plan.weeks] == [0, 0, 0, 4, 4, 4, 4, 4]

    def test_fewer_training_days_than_the_guides_frequencies_are_noted(
        self, catalogue: CatalogueSnapshot
    ) -> None:
        plan = generate(catalogue, make_request(training_days=["tuesday", "friday"]))

        assert [w.summary.strength_days for w in plan.weeks][1:] == [2] * 7
        assert [w.summary.cardio_days for w in plan.weeks][3:] == [2] * 5
        notes = [a.text for a in plan.adjustments if a.rule_id == "PG-5"]
        assert any(text.startswith("Strength 2× a week instead of 3×") for text in notes), notes
        assert any(text.startswith("Cardio 2× a week instead of 4×") for text in notes), notes


class TestHighPain:
    """PG-6: pain 7+ starts gentler."""

    @pytest.fixture(scope="class")
    def gentle(self, catalogue: CatalogueSnapshot) -> Plan:
        return generate(catalogue, make_request(pain_now=7))

    def test_mind_body_daily_from_week_1(self, gentle: Plan) -> None:
        assert all(session(day, SessionKind.mind_body) is not None for day in days(gentle))

    def test_strength_starts_a_week_later(self, gentle: Plan) -> None:
        assert [w.summary.strength_days for w in gentle.weeks] == [0, 0, 3, 3, 3, 3, 3, 3]

    def test_strength_starts_with_the_core_basics(self, gentle: Plan) -> None:
        strength = session(gentle.weeks[2].days[0], SessionKind.strength)

        assert set(slugs(strength)) == {"pallof-press", "glute-bridge"}

    def test_weeks_1_to_4_stay_at_the_low_end(
        self, gentle: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        for week in gentle.weeks[:4]:
            for day in week.days:
                for found in day.sessions:
                    for planned in found.items:
                        exercise = catalogue.by_slug[planned.slug]
                        assert planned.dose.sets == value_at_bottom(exercise.dose.sets)
                        assert planned.dose.reps == value_at_bottom(exercise.dose.reps)
                        assert planned.dose.hold_seconds == value_at_bottom(
                            exercise.dose.hold_seconds
                        )
                        assert planned.dose.minutes == exercise.dose.duration_minutes.minimum

    def test_the_adjustment_names_rule_pg6(self, gentle: Plan) -> None:
        assert gentle.adjustments[0].rule_id == "PG-6"
        assert gentle.adjustments[0].text == SETTINGS.rules["PG-6"]

    def test_mind_body_says_why_it_is_there_from_week_1(self, gentle: Plan) -> None:
        mind_body = session(gentle.weeks[0].days[0], SessionKind.mind_body)

        assert mind_body is not None
        assert mind_body.items[0].why.text.endswith("since week 1.")

    def test_pain_6_is_not_gentle(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(catalogue, make_request(pain_now=6))

        assert all(a.rule_id != "PG-6" for a in plan.adjustments)
        assert session(plan.weeks[0].days[0], SessionKind.mind_body) is None
        assert plan.weeks[1].summary.strength_days == 3

    def test_see_professional_starts_gentle_too(self, catalogue: CatalogueSnapshot) -> None:
        plan = generate(catalogue, make_request(), outcome(triage=TriageLevel.see_professional))

        assert plan.adjustments[0].rule_id == "PG-6"
        assert plan.weeks[1].summary.strength_days == 0
        assert plan.triage is TriageLevel.see_professional


class TestRedFlag:
    """PG-8: any red flag means no plan."""

    def test_seek_care_now_is_refused(self, catalogue: CatalogueSnapshot) -> None:
        with pytest.raises(generator.PlanRefused, match="seek medical care promptly"):
            generate(catalogue, make_request(), outcome(triage=TriageLevel.seek_care_now))

    def test_refusal_comes_before_the_time_check(self, catalogue: CatalogueSnapshot) -> None:
        with pytest.raises(generator.PlanRefused):
            generate(
                catalogue,
                make_request(minutes_per_day=5),
                outcome(triage=TriageLevel.seek_care_now),
            )


class TestDeterminism:
    def test_same_request_same_plan_byte_for_byte(self, catalogue: CatalogueSnapshot) -> None:
        request = make_request(pain_now=8, equipment=[], minutes_per_day=25)
        assessment = outcome("hip_extension.restricted.left", "bridge.unable")

        first = generate(catalogue, request, assessment).model_dump_json()
        second = generate(catalogue, request, assessment).model_dump_json()

        assert first == second

    def test_input_hash_is_the_sha256_of_the_canonical_request(self) -> None:
        request = make_request()
        canonical = json.dumps(
            request.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
        )

        assert generator.input_hash(request) == hashlib.sha256(canonical.encode()).hexdigest()

    def test_input_hash_ignores_key_order_and_spelled_out_defaults(self) -> None:
        spelled_out = make_request()
        reordered = PlanRequest.model_validate(dict(reversed(list(ROOMY.items()))))
        defaults = {key: value for key, value in ROOMY.items() if key not in {"cardio"}}

        assert generator.input_hash(reordered) == generator.input_hash(spelled_out)
        assert generator.input_hash(PlanRequest.model_validate(defaults)) == generator.input_hash(
            spelled_out
        )

    def test_input_hash_changes_with_the_request(self) -> None:
        assert generator.input_hash(make_request(pain_now=4)) != generator.input_hash(
            make_request(pain_now=3)
        )

    def test_plan_carries_the_input_hash(self, roomy: Plan) -> None:
        assert roomy.input_hash == generator.input_hash(make_request())


# --- properties --------------------------------------------------------------------------------

TIME_ZONE_SAMPLE = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "America/St_Johns",
]
WORKING_HOURS = [
    ("09:00", "17:00"),
    ("07:30", "15:30"),
    ("08:00", "12:00"),
    ("13:00", "21:45"),
    ("06:00", "22:00"),
    ("00:00", "23:59"),
    ("09:00", "09:40"),
]


@st.composite
def plan_requests(draw: st.DrawFn) -> PlanRequest:
    hours = draw(st.sampled_from(WORKING_HOURS))
    return PlanRequest.model_validate(
        {
            "assessment": {
                "kind": "result",
                "triage": draw(
                    st.sampled_from([TriageLevel.self_care, TriageLevel.see_professional])
                ).value,
                "findings": draw(st.lists(st.sampled_from(FINDING_CODES), unique=True)),
            },
            "pain_now": draw(st.integers(0, 10)),
            "equipment": draw(st.lists(st.sampled_from(list(Equipment)), unique=True)),
            "minutes_per_day": draw(st.integers(10, 120)),
            "training_days": draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True)),
            "cardio": draw(st.lists(st.sampled_from(list(Cardio)), min_size=1, unique=True)),
            "start_date": draw(st.dates(date(2026, 1, 1), date(2028, 12, 31))).isoformat(),
            "time_zone": draw(st.sampled_from(TIME_ZONE_SAMPLE)),
            "working_hours": {"start": hours[0], "end": hours[1]},
            "working_days": draw(st.lists(st.sampled_from(WEEKDAYS), unique=True)),
        }
    )


def outcome_of(request: PlanRequest) -> generator.Outcome:
    assessment = request.assessment
    assert assessment.kind == "result"
    return outcome(*assessment.findings, triage=assessment.triage)


def plan_or_minimum(
    catalogue: CatalogueSnapshot, request: PlanRequest
) -> tuple[Plan | None, PlanRequest]:
    """The plan, or (when the minutes cannot hold the essentials) the plan for the minimum,
    after checking that the minimum is really above what was asked."""
    try:
        return generate(catalogue, request, outcome_of(request)), request
    except generator.NotEnoughTime as short:
        minimum = short.minimum_minutes
    assert minimum > request.minutes_per_day
    enough = request.model_copy(update={"minutes_per_day": math.ceil(minimum)})
    if enough.minutes_per_day > 240:
        return None, enough
    return generate(catalogue, enough, outcome_of(enough)), enough


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(request=plan_requests())
    def test_eight_weeks_of_seven_consecutive_dates_from_the_start(
        self, catalogue: CatalogueSnapshot, request: PlanRequest
    ) -> None:
        plan, used = plan_or_minimum(catalogue, request)
        assert plan is not None

        assert len(plan.weeks) == 8
        assert all(len(week.days) == 7 for week in plan.weeks)
        assert [day.date for day in days(plan)] == [
            used.start_date + timedelta(days=n) for n in range(56)
        ]
        assert all(day.weekday == WEEKDAYS[day.date.weekday()] for day in days(plan))
        assert plan.inputs == used

    @settings(max_examples=60, deadline=None)
    @given(request=plan_requests())
    def test_every_dose_lies_within_the_catalogue_ranges(
        self, catalogue: CatalogueSnapshot, request: PlanRequest
    ) -> None:
        plan, _ = plan_or_minimum(catalogue, request)
        assert plan is not None

        for planned in all_items(plan):
            exercise = catalogue.by_slug[planned.slug]
            assert planned.name == exercise.name
            assert dose_in_range(planned.dose, exercise), (planned.slug, planned.dose)
            if planned.extra_volume_dose is not None:
                assert exercise.dose.per_side
                assert planned.extra_volume_side is not None
                assert dose_in_range(planned.extra_volume_dose, exercise), planned.slug

    @settings(max_examples=60, deadline=None)
    @given(request=plan_requests())
    def test_time_budget_is_respected_every_day(
        self, catalogue: CatalogueSnapshot, request: PlanRequest
    ) -> None:
        plan, used = plan_or_minimum(catalogue, request)
        assert plan is not None

        for day in days(plan):
            assert day.minutes <= used.minutes_per_day, day.date
            assert day.minutes == round(sum(s.minutes for s in day.sessions), 2), day.date
            morning = session(day, SessionKind.morning_mobility)
            assert morning is not None
            assert 5 <= morning.minutes <= 10
            hours = used.working_hours
            span = (hours.end.hour * 60 + hours.end.minute) - (
                hours.start.hour * 60 + hours.start.minute
            )
            # A break every 45 minutes of sitting: a shorter working span needs none.
            if day.weekday in used.working_days and span >= MICRO_BREAK_INTERVAL:
                assert session(day, SessionKind.micro_break) is not None
            else:
                assert session(day, SessionKind.micro_break) is None

    @settings(max_examples=60, deadline=None)
    @given(request=plan_requests())
    def test_strength_never_on_consecutive_dates_and_only_on_training_days(
        self, catalogue: CatalogueSnapshot, request: PlanRequest
    ) -> None:
        plan, used = plan_or_minimum(catalogue, request)
        assert plan is not None

        dates = strength_dates(plan)
        assert no_two_consecutive(dates)
        for day in days(plan):
            if kinds(day) & {SessionKind.strength, SessionKind.cardio}:
                assert day.weekday in used.training_days, day.date

    @settings(max_examples=60, deadline=None)
    @given(request=plan_requests())
    def test_nothing_needs_equipment_the_request_lacks(
        self, catalogue: CatalogueSnapshot, request: PlanRequest
    ) -> None:
        plan, used = plan_or_minimum(catalogue, request)
        assert plan is not None

        at_hand = {*used.equipment, Equipment.household_object}
        for planned in all_items(plan):
            needs = set(catalogue.by_slug[planned.slug].equipment)
            assert not needs or needs & at_hand, (planned.slug, needs, at_hand)

    @settings(max_examples=60, deadline=None)
    @given(request=plan_requests())
    def test_same_request_same_plan_and_a_stable_input_hash(
        self, catalogue: CatalogueSnapshot, request: PlanRequest
    ) -> None:
        plan, used = plan_or_minimum(catalogue, request)
        assert plan is not None
        again = generate(catalogue, used, outcome_of(used))
        round_trip = PlanRequest.model_validate_json(used.model_dump_json())
        other = used.model_copy(update={"pain_now": (used.pain_now + 1) % 11})

        assert again.model_dump_json() == plan.model_dump_json()
        assert plan.input_hash == generator.input_hash(used) == generator.input_hash(round_trip)
        assert generator.input_hash(other) != plan.input_hash

    @settings(max_examples=60, deadline=None)
    @given(request=plan_requests())
    def test_seek_care_now_is_always_refused(
        self, catalogue: CatalogueSnapshot, request: PlanRequest
    ) -> None:
        assessment = outcome_of(request)
        refused = generator.Outcome(triage=TriageLevel.seek_care_now, findings=assessment.findings)

        with pytest.raises(generator.PlanRefused):
            generate(catalogue, request, refused)
