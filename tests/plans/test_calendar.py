"""The plan as iCalendar, checked twice: parsed back with ``icalendar`` and expanded with
``recurring-ical-events``, an independent implementation of RFC 5545 recurrence, so every
session of the plan is an event at its local time, with a reminder, steps, dose and stop rule,
and a stopped plan cancels what is left.

Pure: plans come from the generator and the real catalogue; no database and no app.
"""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar, Event

from app.catalogue.schemas import SessionKind
from app.catalogue.snapshot import CatalogueSnapshot
from app.plans.calendar import plan_to_ical
from app.plans.schemas import Plan
from tests.plans.test_generator import generate, options, outcome

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def london_plan(catalogue: CatalogueSnapshot) -> Plan:
    return generate(
        catalogue,
        options(reminder_minutes_before=15),
        outcome("hip_extension.restricted.right", "hip_extension.painful.left"),
    )


@pytest.fixture(scope="module")
def london(london_plan: Plan) -> Calendar:
    return Calendar.from_ical(plan_to_ical(london_plan))


def is_retest(event: Event) -> bool:
    return str(event.get("categories").cats[0]) == "retest"


def sessions_of(calendar: Calendar) -> list[Event]:
    """The events of the plan's sessions (every event but the re-tests)."""
    return [event for event in calendar.events if not is_retest(event)]


def expand(calendar: Calendar, plan: Plan) -> list[Event]:
    """The sessions' occurrences."""
    first = plan.weeks[0].days[0].date
    between = recurring_ical_events.of(calendar).between(first, first + timedelta(days=57))
    return [event for event in between if not is_retest(event)]


def start(event: Event) -> datetime:
    value = event.decoded("dtstart")
    assert isinstance(value, datetime)
    return value


def kind(event: Event) -> SessionKind:
    return SessionKind(str(event.get("categories").cats[0]))


def planned_starts(plan: Plan, zone: ZoneInfo) -> Counter[tuple[SessionKind, datetime]]:
    """Every session of the plan at its local start, each micro-break once per break."""
    starts: Counter[tuple[SessionKind, datetime]] = Counter()
    for week in plan.weeks:
        for day in week.days:
            for found in day.sessions:
                first = datetime.combine(day.date, found.start)
                every = timedelta(minutes=found.repeat_every_minutes or 0)
                for number in range(found.repeats):
                    starts[found.kind, (first + number * every).replace(tzinfo=zone)] += 1
    return starts


def expanded_starts(events: list[Event]) -> Counter[tuple[SessionKind, datetime]]:
    return Counter((kind(event), start(event)) for event in events)


def test_calendar_properties(london: Calendar) -> None:
    assert str(london["prodid"]) == "-//Hip-Spine API//Plan//EN"
    assert str(london["version"]) == "2.0"
    assert str(london["method"]) == "PUBLISH"
    assert str(london["x-wr-timezone"]) == "Europe/London"
    assert [tz.tz_name for tz in london.timezones] == ["Europe/London"]
    assert london.get_missing_tzids() == set()


def test_expanded_events_are_exactly_the_plans_sessions(
    london_plan: Plan, london: Calendar
) -> None:
    """An independent expansion of the recurrences finds every session, and only them."""
    assert expanded_starts(expand(london, london_plan)) == planned_starts(london_plan, LONDON)


def test_no_recurrence_is_more_frequent_than_daily(london: Calendar) -> None:
    rules = [rule for event in london.events for rule in event.rrules]

    assert rules, "the micro-breaks repeat"
    assert {str(rule["FREQ"][0]) for rule in rules} == {"WEEKLY"}
    assert all(kind(event) is SessionKind.micro_break for event in london.events if event.rrules)


def alarms(event: Event) -> list[Any]:
    return list(event.walk("VALARM"))


def test_every_session_has_a_reminder_at_the_requested_lead_time(london: Calendar) -> None:
    for event in sessions_of(london):
        [alarm] = alarms(event)
        assert alarm.decoded("trigger") == timedelta(minutes=-15)
        assert str(alarm["action"]) == "DISPLAY"
        assert str(alarm["description"]) == str(event["summary"])


def test_a_reminder_at_the_start_when_asked_for(catalogue: CatalogueSnapshot) -> None:
    calendar = Calendar.from_ical(
        plan_to_ical(generate(catalogue, options(reminder_minutes_before=0)))
    )

    triggers = {alarm.decoded("trigger") for e in sessions_of(calendar) for alarm in alarms(e)}
    assert triggers == {timedelta(0)}


def test_every_description_has_steps_dose_and_the_stop_rule(
    london_plan: Plan, london: Calendar
) -> None:
    steps = {e.slug: " ".join(e.steps) for e in london_plan.exercises}
    for week in london_plan.weeks:
        for day in week.days:
            for found in day.sessions:
                event = next(
                    e
                    for e in sessions_of(london)
                    if kind(e) is found.kind
                    and str(e["summary"]).startswith(f"Week {week.week} ")
                    and (found.kind is SessionKind.micro_break or start(e).date() == day.date)
                )
                description = str(event["description"])
                assert london_plan.stop_rule in description
                for planned in found.items:
                    assert f"{planned.name}: {planned.dose.text}" in description
                    assert steps[planned.slug] in description


def test_the_painful_side_is_named_in_the_event(london: Calendar) -> None:
    morning = next(e for e in sessions_of(london) if kind(e) is SessionKind.morning_mobility)

    description = str(morning["description"])
    assert "Hip Flexor Lunge Stretch: 8 reps per side" in description
    assert "(more on the right: 10 reps per side)" in description
    assert "(gentler on the left: 8 reps per side)" in description
    assert "Gentler on the left side: Lifting the left leg into extension is painful." in (
        description
    )


def test_a_micro_break_says_pick_one_with_the_dose_for_that_minute(london: Calendar) -> None:
    breaks = [e for e in sessions_of(london) if kind(e) is SessionKind.micro_break]

    for event in breaks:
        description = str(event["description"])
        assert description.startswith("Pick one of these and do it now, for about a minute:")
        assert "• Hip Circles: 30 s, about half on each side" in description
        assert "• Body-weight Squat: 8 reps" in description
        assert event.decoded("dtend") - start(event) == timedelta(minutes=1)
    # Ten breaks a working day, each its own weekly series over the week's working days.
    assert len(breaks) == 10 * 8
    first = breaks[0]
    [rule] = first.rrules
    assert [str(day) for day in rule["BYDAY"]] == ["MO", "TU", "WE", "TH", "FR"]


def test_times_stay_local_across_a_dst_change(catalogue: CatalogueSnapshot) -> None:
    """New York switches to daylight time on 2027-03-14: sessions stay at their local time."""
    zone = ZoneInfo("America/New_York")
    plan = generate(catalogue, options(start_date="2027-03-01", time_zone="America/New_York"))
    calendar = Calendar.from_ical(plan_to_ical(plan))

    events = expand(calendar, plan)
    assert expanded_starts(events) == planned_starts(plan, zone)
    mornings = {
        start(e).date(): start(e) for e in events if kind(e) is SessionKind.morning_mobility
    }
    before, after = mornings[date(2027, 3, 13)], mornings[date(2027, 3, 15)]
    assert (before.hour, before.minute) == (after.hour, after.minute) == (7, 30)
    assert before.astimezone(UTC).time() == time(12, 30)
    assert after.astimezone(UTC).time() == time(11, 30)
    text = plan_to_ical(plan).decode()
    assert "TZOFFSETTO:-0400" in text
    assert "TZOFFSETTO:-0500" in text


def test_a_night_shifts_breaks_after_midnight_fall_on_the_next_day(
    catalogue: CatalogueSnapshot,
) -> None:
    plan = generate(
        catalogue,
        options(
            working_hours={"start": "22:00", "end": "06:00"},
            working_days=["monday", "tuesday", "wednesday"],
            minutes_per_day=120,
        ),
    )
    calendar = Calendar.from_ical(plan_to_ical(plan))

    starts = expanded_starts(expand(calendar, plan))
    assert starts == planned_starts(plan, LONDON)
    breaks = sorted(s for k, s in starts if k is SessionKind.micro_break)
    assert breaks[0] == datetime(2026, 12, 7, 22, 45, tzinfo=LONDON)
    assert datetime(2026, 12, 8, 5, 30, tzinfo=LONDON) in breaks


def test_uids_are_unique_and_deterministic(london_plan: Plan, london: Calendar) -> None:
    uids = [str(event["uid"]) for event in london.events]

    assert len(set(uids)) == len(uids)
    prefix = london_plan.input_hash[:16]
    assert f"{prefix}-w1-2026-12-07-morning_mobility@hipspine" in uids
    assert f"{prefix}-w1-micro-break-1-0945@hipspine" in uids
    assert plan_to_ical(london_plan) == plan_to_ical(
        Plan.model_validate_json(london_plan.model_dump_json())
    )


def test_planned_events_are_confirmed_at_sequence_0_stamped_by_the_plan(
    london: Calendar,
) -> None:
    assert {str(e["status"]) for e in london.events} == {"CONFIRMED"}
    assert {e.decoded("sequence") for e in london.events} == {0}
    assert {e.decoded("dtstamp") for e in london.events} == {datetime(2026, 12, 7, tzinfo=UTC)}


def test_output_is_folded_crlf(london_plan: Plan) -> None:
    data = plan_to_ical(london_plan)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


class TestStoppedPlan:
    """A stopped plan cancels every event after the stop: same UIDs, a higher SEQUENCE."""

    STOP = datetime(2026, 12, 23, 12, 0, tzinfo=UTC)  # a Wednesday of week 3, at noon

    @pytest.fixture(scope="class")
    def stopped(self, london_plan: Plan) -> Calendar:
        return Calendar.from_ical(plan_to_ical(london_plan, stopped_at=self.STOP))

    def test_same_uids_as_the_running_plan(self, london: Calendar, stopped: Calendar) -> None:
        assert [str(e["uid"]) for e in stopped.events] == [str(e["uid"]) for e in london.events]

    def test_every_occurrence_after_the_stop_is_cancelled_and_none_before(
        self, london_plan: Plan, stopped: Calendar
    ) -> None:
        events = expand(stopped, london_plan)
        after = [e for e in events if start(e) >= self.STOP]
        before = [e for e in events if start(e) < self.STOP]

        assert after
        assert {str(e["status"]) for e in after} == {"CANCELLED"}
        assert {e.decoded("sequence") for e in after} == {1}
        assert {str(e["status"]) for e in before} == {"CONFIRMED"}
        planned_before = Counter(
            {key: n for key, n in planned_starts(london_plan, LONDON).items() if key[1] < self.STOP}
        )
        assert expanded_starts(before) == planned_before

    def test_a_series_that_started_loses_its_later_dates(self, stopped: Calendar) -> None:
        week_3_breaks = [
            e
            for e in sessions_of(stopped)
            if kind(e) is SessionKind.micro_break and str(e["summary"]).startswith("Week 3 ")
        ]
        by_clock = {start(e).time(): e for e in week_3_breaks}

        def excluded(clock: time) -> list[date]:
            event = by_clock[clock]
            assert str(event["status"]) == "CONFIRMED"
            assert event.decoded("sequence") == 1
            return [d.dt.date() for d in event.get("exdate").dts]

        # 09:45 on the Wednesday was before the stop at noon; 12:00 was not.
        assert excluded(time(9, 45)) == [date(2026, 12, 24), date(2026, 12, 25)]
        assert excluded(time(12, 0)) == [
            date(2026, 12, 23),
            date(2026, 12, 24),
            date(2026, 12, 25),
        ]

    def test_cancelled_events_carry_no_reminder_and_the_stop_as_their_stamp(
        self, stopped: Calendar
    ) -> None:
        for event in stopped.events:
            if str(event["status"]) == "CANCELLED":
                assert alarms(event) == []
                assert event.decoded("dtstamp") == self.STOP

    @pytest.mark.parametrize(
        "when", [datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)]
    )
    def test_a_stop_before_the_plan_cancels_all_and_after_it_nothing(
        self, london_plan: Plan, when: datetime
    ) -> None:
        calendar = Calendar.from_ical(plan_to_ical(london_plan, stopped_at=when))
        statuses: dict[str, Any] = Counter(str(e["status"]) for e in calendar.events)

        expected = "CANCELLED" if when.year == 2026 else "CONFIRMED"
        assert statuses == {expected: len(calendar.events)}


class TestRetests:
    """Weeks 4 and 8 open with a re-test of the three self-tests (PG-11): one all-day event
    each, with a UID that stays, cancelled like the sessions when the plan stopped before."""

    def retests(self, calendar: Calendar) -> list[Event]:
        return [event for event in calendar.events if is_retest(event)]

    def test_one_all_day_event_on_the_first_day_of_weeks_4_and_8(
        self, london_plan: Plan, london: Calendar
    ) -> None:
        retests = self.retests(london)

        assert [e.decoded("dtstart") for e in retests] == [date(2026, 12, 28), date(2027, 1, 25)]
        assert [e.decoded("dtend") for e in retests] == [date(2026, 12, 29), date(2027, 1, 26)]
        assert [str(e["summary"]) for e in retests] == [
            "Week 4 · Re-test the self-assessments",
            "Week 8 · Re-test the self-assessments",
        ]
        prefix = london_plan.input_hash[:16]
        assert [str(e["uid"]) for e in retests] == [
            f"{prefix}-w4-retest@hipspine",
            f"{prefix}-w8-retest@hipspine",
        ]
        retest = london_plan.weeks[3].retest
        assert retest is not None
        assert retest.text in str(retests[0]["description"])
        assert london_plan.stop_rule in str(retests[0]["description"])

    def test_a_stop_before_the_day_cancels_it_with_the_same_uid(
        self, london_plan: Plan, london: Calendar
    ) -> None:
        stop = datetime(2027, 1, 3, 9, 0, tzinfo=UTC)  # after week 4's re-test, before week 8's
        stopped = self.retests(Calendar.from_ical(plan_to_ical(london_plan, stopped_at=stop)))

        assert [str(e["uid"]) for e in stopped] == [str(e["uid"]) for e in self.retests(london)]
        assert [str(e["status"]) for e in stopped] == ["CONFIRMED", "CANCELLED"]
        assert [e.decoded("sequence") for e in stopped] == [0, 1]


def test_a_revised_event_keeps_its_uid_with_a_higher_sequence(london_plan: Plan) -> None:
    """A revision that changes one session's dose: that event alone gets SEQUENCE 1, a second
    revision changing it again SEQUENCE 2; every UID stays."""
    day = next(d for w in london_plan.weeks for d in w.days if d.date.weekday() == 5)
    session = next(s for s in day.sessions if s.kind is not SessionKind.micro_break)

    def revised(text: str) -> Plan:
        item = session.items[0]
        items = [item.model_copy(update={"dose": item.dose.model_copy(update={"text": text})})]
        changed = session.model_copy(update={"items": items + session.items[1:]})
        sessions = [changed if s is session else s for s in day.sessions]
        weeks = [
            w.model_copy(
                update={
                    "days": [
                        d.model_copy(update={"sessions": sessions}) if d is day else d
                        for d in w.days
                    ]
                }
            )
            for w in london_plan.weeks
        ]
        return london_plan.model_copy(update={"weeks": weeks})

    second, third = revised("2 x 5, gentler"), revised("1 x 5, gentler still")
    before = {
        str(e["uid"]): int(e.decoded("sequence"))
        for e in sessions_of(Calendar.from_ical(plan_to_ical(london_plan)))
    }
    once = Calendar.from_ical(plan_to_ical(second, earlier=[london_plan]))
    twice = Calendar.from_ical(plan_to_ical(third, earlier=[london_plan, second]))
    after_once = {str(e["uid"]): int(e.decoded("sequence")) for e in sessions_of(once)}
    after_twice = {str(e["uid"]): int(e.decoded("sequence")) for e in sessions_of(twice)}
    assert after_once.keys() == before.keys() == after_twice.keys()
    changed = [uid for uid, sequence in after_once.items() if sequence != before[uid]]
    assert len(changed) == 1
    assert day.date.isoformat() in changed[0]
    assert after_once[changed[0]] == 1
    assert after_twice[changed[0]] == 2
    assert sum(after_twice.values()) == 2
