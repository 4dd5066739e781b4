"""The adaptation core, rule by rule (AD-1 to AD-6), on a real generated plan.

Pure: a plan, logs and the rules in data; no database and no app. Each test names its rule.
"""

import random
from datetime import timedelta

from icalendar import Calendar

from app.assessments.examples import NO_RED_FLAGS
from app.assessments.schemas import TriageLevel
from app.catalogue.schemas import SessionKind, Side
from app.catalogue.snapshot import CatalogueSnapshot
from app.plans.calendar import plan_to_ical
from app.plans.generator import LOW_END, item_dose
from app.plans.schemas import Plan
from app.progress.adaptation import harder
from app.progress.schemas import ChangeKind
from tests.progress.conftest import (
    RULES,
    day_of,
    days_after,
    days_until,
    items,
    log,
    on,
    run,
    steady,
)


def test_no_logs_leave_the_plan_as_generated(plan: Plan, catalogue: CatalogueSnapshot) -> None:
    result = run(plan, [], catalogue)

    assert result.plan == plan
    assert result.changes == []
    assert result.stop is None


def test_steady_logs_with_every_session_done_change_nothing(
    plan: Plan, catalogue: CatalogueSnapshot
) -> None:
    result = run(plan, steady(plan, range(21)), catalogue)

    assert result.plan == plan
    assert result.changes == []


class TestRedFlag:
    """AD-1: a red flag in a log stops the plan with the triage; nothing after it applies."""

    def test_a_red_flag_stops_with_the_triage(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [
            *steady(plan, range(3)),
            log(plan, 3, red_flags={"saddle_numbness": True}),
            log(plan, 4, sharp_pain=[{"slug": "clamshell", "side": "left"}]),
        ]
        result = run(plan, logs, catalogue)

        assert result.stop is not None
        assert result.stop.level is TriageLevel.emergency
        [change] = result.changes
        assert change.rule_id == "AD-1"
        assert change.kind is ChangeKind.stopped
        assert change.from_date == on(4)
        assert change.dates == [d.date for d in days_after(plan, on(3))]
        assert "saddle" in change.reason.lower() or "numb" in change.reason.lower()
        assert "NICE NG59" in change.source
        # The sharp pain logged after the red flag changed nothing.
        assert result.plan == plan

    def test_every_flag_at_once_still_gives_a_reason_within_the_schema(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        every = dict.fromkeys(NO_RED_FLAGS, True)
        result = run(plan, [log(plan, 10, red_flags=every)], catalogue)

        assert result.stop is not None
        assert result.stop.level is TriageLevel.emergency
        [change] = result.changes
        assert 0 < len(change.reason) <= 2000

    def test_an_urgent_flag_stops_too(self, plan: Plan, catalogue: CatalogueSnapshot) -> None:
        result = run(plan, [log(plan, 10, red_flags={"fever_or_unwell": True})], catalogue)

        assert result.stop is not None
        assert result.stop.level is TriageLevel.urgent


class TestPainRise:
    """AD-2: pain up by 2 against the baseline, pain after exercise of 6 or more, or a worse day
    after a strength or cardio session: progression held, the next sessions stepped back."""

    def low_end(self, catalogue: CatalogueSnapshot, slug: str) -> object:
        return item_dose(catalogue.by_slug[slug], LOW_END, load=None)

    def assert_stepped_back_after(
        self, result_plan: Plan, plan: Plan, offset: int, catalogue: CatalogueSnapshot
    ) -> None:
        for day in days_after(result_plan, on(offset)):
            for item in items(day):
                low = item_dose(catalogue.by_slug[item.slug], LOW_END, load=item.dose.load)
                assert not harder(item.dose, low), (day.date, item.slug, item.dose.text)
                assert item.extra_volume_side is None
        # Days on or before the log are never rewritten.
        assert days_until(result_plan, on(offset)) == days_until(plan, on(offset))

    def test_two_points_above_the_first_weeks_mean(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [*steady(plan, range(7), pain=3), *steady(plan, range(7, 16), 4), log(plan, 16, 5)]
        result = run(plan, logs, catalogue)

        [change] = result.changes
        assert change.rule_id == "AD-2"
        assert change.kind is ChangeKind.stepped_back
        assert change.from_date == on(17)
        assert "Pain of 5 against a baseline of 3.0" in change.reason
        assert "Farrar" in change.source
        self.assert_stepped_back_after(result.plan, plan, 16, catalogue)

    def test_one_point_is_no_meaningful_change(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [*steady(plan, range(7), pain=3), log(plan, 7, 4), log(plan, 8, 4)]

        assert run(plan, logs, catalogue).changes == []

    def test_the_march_steps_back_to_the_bridge_its_regression(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [*steady(plan, range(28)), log(plan, 28, 6)]  # week 5 begins on day 28
        result = run(plan, logs, catalogue)

        strength = [
            s for d in days_after(result.plan, on(28)) for s in d.sessions if s.kind == "strength"
        ]
        assert strength
        slugs = {item.slug for s in strength for item in s.items}
        assert "glute-bridge" in slugs
        assert "glute-bridge-march" not in slugs
        assert any(
            "glute-bridge-march" in {i.slug for i in s.items}
            for d in days_after(plan, on(28))
            for s in d.sessions
        )

    def test_pain_after_exercise_of_6(self, plan: Plan, catalogue: CatalogueSnapshot) -> None:
        result = run(
            plan, [*steady(plan, range(9)), log(plan, 9, 4, pain_after_exercise=6)], catalogue
        )

        [change] = result.changes
        assert change.kind is ChangeKind.stepped_back
        assert "Pain of 6 after exercise" in change.reason

    def test_pain_after_exercise_of_5_is_not(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [*steady(plan, range(9)), log(plan, 9, 4, pain_after_exercise=5)]

        assert run(plan, logs, catalogue).changes == []

    def test_a_worse_day_after_strength(self, plan: Plan, catalogue: CatalogueSnapshot) -> None:
        # Day 9 is a Wednesday of week 2: a strength day in the roomy plan.
        assert any(s.kind is SessionKind.strength for s in day_of(plan, on(9)).sessions)
        logs = [*steady(plan, range(7), pain=3), log(plan, 9, 3), log(plan, 10, 4)]
        result = run(plan, [*steady(plan, range(7, 9), pain=3), *logs], catalogue)

        [change] = result.changes
        assert change.kind is ChangeKind.stepped_back
        assert "the day after exercise, up from 3" in change.reason

    def test_a_worse_day_after_a_day_without_strength_or_cardio_is_not(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        # Day 1 is a Tuesday of week 1: mobility and micro-breaks only.
        logs = [log(plan, 0, 3), log(plan, 1, 3), log(plan, 2, 4)]

        assert run(plan, logs, catalogue).changes == []


class TestSharpPain:
    """AD-3: sharp pain on an exercise swaps it on that side for the rest of the plan."""

    def test_a_per_side_exercise_leaves_that_side_only(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [
            *steady(plan, range(15)),
            log(plan, 15, sharp_pain=[{"slug": "clamshell", "side": "left"}]),
        ]
        result = run(plan, logs, catalogue)

        [change] = result.changes
        assert (change.rule_id, change.kind, change.slug, change.side) == (
            "AD-3",
            ChangeKind.swapped,
            "clamshell",
            Side.left,
        )
        assert change.replacement is not None
        assert "Modify or skip any movement" in change.source
        later = [i for d in days_after(result.plan, on(15)) for i in items(d)]
        clamshells = [i for i in later if i.slug == "clamshell"]
        assert clamshells
        assert {i.only_side for i in clamshells} == {Side.right}
        assert any(i.slug == change.replacement for i in later)
        assert change.dates == sorted(
            d.date for d in days_after(plan, on(15)) if "clamshell" in {i.slug for i in items(d)}
        )
        assert days_until(result.plan, on(15)) == days_until(plan, on(15))

    def test_the_calendar_names_the_side_and_the_replacements_steps(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        pain = [{"slug": "clamshell", "side": "left"}]
        logs = [*steady(plan, range(15)), log(plan, 15, sharp_pain=pain)]
        result = run(plan, logs, catalogue)
        [change] = result.changes
        assert change.replacement is not None

        events = Calendar.from_ical(plan_to_ical(result.plan)).events
        strength = [str(e["description"]) for e in events if "Strength" in str(e["summary"])]
        assert any("Clamshell: 2×12 per side (right side only)" in text for text in strength)
        assert change.replacement in {e.slug for e in result.plan.exercises}

    def test_an_exercise_not_done_per_side_leaves_the_plan(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [
            *steady(plan, range(9)),
            log(plan, 9, sharp_pain=[{"slug": "glute-bridge", "side": None}]),
        ]
        result = run(plan, logs, catalogue)

        [change] = result.changes
        assert change.side is None
        later = [i.slug for d in days_after(result.plan, on(9)) for i in items(d)]
        assert "glute-bridge" not in later

    def test_the_same_pain_again_is_no_second_change(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        pain = [{"slug": "clamshell", "side": "left"}]
        logs = [
            *steady(plan, range(15)),
            log(plan, 15, sharp_pain=pain),
            log(plan, 16, sharp_pain=pain),
        ]

        assert len(run(plan, logs, catalogue).changes) == 1

    def test_both_sides_take_the_exercise_out(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [
            *steady(plan, range(15)),
            log(plan, 15, sharp_pain=[{"slug": "clamshell", "side": "left"}]),
            log(plan, 16, sharp_pain=[{"slug": "clamshell", "side": "right"}]),
        ]
        result = run(plan, logs, catalogue)

        assert "clamshell" not in {
            i.slug for d in days_after(result.plan, on(16)) for i in items(d)
        }
        assert [c.side for c in result.changes] == [Side.left, Side.right]


class TestProgression:
    """AD-4 and AD-5: a steady week with 80 % of sessions done steps up; low adherence or
    missing logs hold progression."""

    def test_a_steady_week_steps_up_then_the_table_returns(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [*steady(plan, range(14)), log(plan, 14, 7), *steady(plan, range(15, 35))]
        result = run(plan, logs, catalogue)

        kinds = [(c.rule_id, c.kind, c.from_date) for c in result.changes]
        assert kinds == [
            ("AD-2", ChangeKind.stepped_back, on(15)),
            ("AD-4", ChangeKind.progressed, on(22)),
            ("AD-4", ChangeKind.progressed, on(29)),
        ]
        assert "back up to the doses held" in result.changes[1].reason
        assert "follows the guide's table again" in result.changes[2].reason
        assert days_after(result.plan, on(28)) == days_after(plan, on(28))
        # Held between the steps: nothing harder than on the day of the rise.
        rise_day = {
            (s.kind, i.slug): i.dose for s in day_of(plan, on(14)).sessions for i in s.items
        }
        for day in [d for d in days_after(result.plan, on(21)) if d.date <= on(28)]:
            for session in day.sessions:
                for item in session.items:
                    cap = rise_day.get((session.kind, item.slug))
                    if cap is not None:
                        assert not harder(item.dose, cap), (day.date, item.slug)

    def test_low_adherence_holds_progression(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [log(plan, offset, done=0.5) for offset in range(20)]
        result = run(plan, logs, catalogue)

        [change] = result.changes
        assert (change.rule_id, change.kind) == ("AD-5", ChangeKind.progression_held)
        assert "planned sessions done" in change.reason
        hold_day = change.from_date - timedelta(days=1)
        held = {(s.kind, i.slug): i.dose for s in day_of(plan, hold_day).sessions for i in s.items}
        assert change.dates
        for day in days_after(result.plan, hold_day):
            for session in day.sessions:
                for item in session.items:
                    cap = held.get((session.kind, item.slug))
                    if cap is not None:
                        assert not harder(item.dose, cap)

    def test_three_days_without_a_log_hold_progression(
        self, plan: Plan, catalogue: CatalogueSnapshot
    ) -> None:
        logs = [*steady(plan, range(10)), *steady(plan, range(13, 16))]
        result = run(plan, logs, catalogue)

        [change] = result.changes
        assert change.rule_id == "AD-5"
        assert change.from_date == on(14)
        assert "No log for the 3 days" in change.reason


class TestRelief:
    """AD-6: relief movements first in the micro-break and evening rotation."""

    def test_a_relief_movement_comes_first(self, plan: Plan, catalogue: CatalogueSnapshot) -> None:
        movement = "standing-thoracic-rotation"
        logs = [*steady(plan, range(3)), log(plan, 3, relief_movements=[movement])]
        result = run(plan, logs, catalogue)

        [change] = result.changes
        assert (change.rule_id, change.kind) == ("AD-6", ChangeKind.relief_prioritised)
        assert change.from_date == on(4)
        for day in days_after(result.plan, on(3)):
            for session in day.sessions:
                if session.kind in RULES.relief_sessions and movement in {
                    i.slug for i in session.items
                }:
                    assert session.items[0].slug == movement
        assert days_until(result.plan, on(3)) == days_until(plan, on(3))

    def test_the_most_often_logged_first(self, plan: Plan, catalogue: CatalogueSnapshot) -> None:
        logs = [
            log(plan, 0, relief_movements=["childs-pose-variation"]),
            log(plan, 1, relief_movements=["standing-thoracic-rotation", "childs-pose-variation"]),
        ]
        result = run(plan, logs, catalogue)

        micro = next(s for s in day_of(result.plan, on(2)).sessions if s.kind == "micro_break")
        assert [i.slug for i in micro.items[:2]] == [
            "childs-pose-variation",
            "standing-thoracic-rotation",
        ]


def test_the_same_logs_in_any_order_give_the_same_plan(
    plan: Plan, catalogue: CatalogueSnapshot
) -> None:
    logs = [
        *steady(plan, range(10)),
        log(plan, 10, 7),
        log(plan, 12, sharp_pain=[{"slug": "clamshell", "side": "right"}]),
        log(plan, 13, relief_movements=["hip-circles"]),
    ]
    shuffled = list(logs)
    random.Random(7).shuffle(shuffled)

    first, second = run(plan, logs, catalogue), run(plan, shuffled, catalogue)
    assert first == second
    assert first.plan.model_dump_json() == second.plan.model_dump_json()


def test_a_later_log_never_rewrites_earlier_days(plan: Plan, catalogue: CatalogueSnapshot) -> None:
    logs = [*steady(plan, range(14)), log(plan, 14, 8)]
    before = run(plan, logs[:-1], catalogue)
    after = run(plan, logs, catalogue)

    assert days_until(after.plan, on(14)) == days_until(before.plan, on(14))
    assert days_after(after.plan, on(14)) != days_after(before.plan, on(14))
