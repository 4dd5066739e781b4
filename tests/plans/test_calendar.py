"""The plan as iCalendar: parses back, local times in the plan's zone, micro-breaks as an RRULE.

Pure: plans are built by hand, no database and no app.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from dateutil.rrule import rrulestr  # type: ignore[import-untyped]  # icalendar's own dependency
from icalendar import Calendar, Event

from app.assessments.schemas import TriageLevel
from app.catalogue.schemas import SessionKind, Side
from app.plans.calendar import plan_to_ical
from app.plans.schemas import (
    ItemDose,
    Plan,
    PlanDay,
    PlanItem,
    PlanRequest,
    PlanSession,
    PlanWeek,
    Weekday,
    WeekSummary,
    Why,
)

INPUT_HASH = "0123456789abcdef" + "f" * 48
WEEKDAYS = list(Weekday)


def _dose(text: str, minutes: float) -> ItemDose:
    return ItemDose(sets=2, reps=10, per_side=False, hold_seconds=None, minutes=minutes, text=text)


def _item(slug: str, name: str, dose: str, week: int, *, side: Side | None = None) -> PlanItem:
    return PlanItem(
        slug=slug,
        name=name,
        dose=_dose(dose, 2.0),
        extra_volume_side=side,
        extra_volume_dose=_dose("3 × 12", 2.5) if side is not None else None,
        why=Why(
            rule_id="PG-1",
            week_focus=f"Focus of week {week}",
            finding=None,
            text=f"Why {name} in week {week}; it helps, gently.",
        ),
    )


def _sessions(day: date, week: int) -> list[PlanSession]:
    sessions = [
        PlanSession(
            kind=SessionKind.morning_mobility,
            start=time(7, 30),
            minutes=6.5,
            items=[
                _item("cat-camel", "Cat-camel", "2 × 10 slow reps", week),
                _item(
                    "hip-flexor-stretch",
                    "Hip flexor stretch, kneeling",
                    "3 × 30 s each side",
                    week,
                    side=Side.left,
                ),
            ],
            repeat_every_minutes=None,
            repeats=1,
        )
    ]
    if day.weekday() < 5:
        sessions.append(
            PlanSession(
                kind=SessionKind.micro_break,
                start=time(9, 0),
                minutes=5.0,
                items=[_item("stand-and-reach", "Stand and reach", "30 s", week)],
                repeat_every_minutes=45,
                repeats=10,
            )
        )
    if day.weekday() == 0:
        sessions.append(
            PlanSession(
                kind=SessionKind.strength,
                start=time(18, 0),
                minutes=19.25,
                items=[_item("glute-bridge", "Glute bridge", "3 × 12", week)],
                repeat_every_minutes=None,
                repeats=1,
            )
        )
    return sessions


def _make_plan(start: date, time_zone: str) -> Plan:
    inputs = PlanRequest.model_validate(
        {
            "assessment": {"kind": "result", "triage": "self_care", "findings": []},
            "pain_now": 2,
            "equipment": [],
            "minutes_per_day": 30,
            "training_days": ["monday", "wednesday", "friday"],
            "start_date": start.isoformat(),
            "time_zone": time_zone,
        }
    )
    weeks = []
    for week in range(1, 9):
        days = []
        for offset in range(7):
            day = start + timedelta(days=(week - 1) * 7 + offset)
            sessions = _sessions(day, week)
            days.append(
                PlanDay(
                    date=day,
                    weekday=WEEKDAYS[day.weekday()],
                    minutes=sum(session.minutes for session in sessions),
                    sessions=sessions,
                )
            )
        weeks.append(
            PlanWeek(
                week=week,
                focus=f"Focus of week {week}: move a little, often",
                frequency="Daily",
                source_section="8-week table",
                habit_focus=[],
                safety_rules=[],
                summary=WeekSummary(minutes=0.0, sessions=0, strength_days=1, cardio_days=0),
                days=days,
            )
        )
    return Plan(
        dataset_version="test",
        ruleset_version="test",
        generator_version="test",
        input_hash=INPUT_HASH,
        inputs=inputs,
        triage=TriageLevel.self_care,
        findings=[],
        adjustments=[],
        weeks=weeks,
    )


def _session_count(plan: Plan) -> int:
    return sum(len(day.sessions) for week in plan.weeks for day in week.days)


def _parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def _start(event: Event) -> datetime:
    start = event.decoded("dtstart")
    assert isinstance(start, datetime)
    return start


def _end(event: Event) -> datetime:
    end = event.decoded("dtend")
    assert isinstance(end, datetime)
    return end


def _by_kind(calendar: Calendar, kind: SessionKind, day: date) -> Event:
    [event] = [
        event
        for event in calendar.events
        if _start(event).date() == day and str(event.get("categories").cats[0]) == kind.value
    ]
    return event


@pytest.fixture(scope="module")
def london_plan() -> Plan:
    return _make_plan(date(2026, 12, 7), "Europe/London")


@pytest.fixture(scope="module")
def london(london_plan: Plan) -> Calendar:
    return _parse(plan_to_ical(london_plan))


@pytest.fixture(scope="module")
def new_york_plan() -> Plan:
    # 2027-03-01 to 2027-04-25: the US switches to daylight time on 2027-03-14.
    return _make_plan(date(2027, 3, 1), "America/New_York")


def test_calendar_properties(london: Calendar) -> None:
    assert str(london["prodid"]) == "-//Hip-Spine API//Plan//EN"
    assert str(london["version"]) == "2.0"
    assert str(london["calscale"]) == "GREGORIAN"
    assert str(london["method"]) == "PUBLISH"
    assert str(london["x-wr-calname"]) == "Hip-spine 8-week plan"
    assert str(london["x-wr-timezone"]) == "Europe/London"


def test_one_event_per_session(london_plan: Plan, london: Calendar) -> None:
    # 56 mornings, 40 weekday micro-break series, 8 Monday strength sessions.
    assert len(london.events) == _session_count(london_plan) == 56 + 40 + 8


def test_vtimezone_comes_first(london: Calendar) -> None:
    assert [tz.tz_name for tz in london.timezones] == ["Europe/London"]
    assert london.get_missing_tzids() == set()
    names = [component.name for component in london.subcomponents]
    assert names.index("VTIMEZONE") < names.index("VEVENT")


def test_starts_are_local_in_the_plan_zone(london: Calendar) -> None:
    for event in london.events:
        start = _start(event)
        assert start.tzinfo is not None
        assert getattr(start.tzinfo, "key", None) == "Europe/London"
        assert event["dtstart"].params["TZID"] == "Europe/London"
    december = _start(_by_kind(london, SessionKind.morning_mobility, date(2026, 12, 7)))
    assert december.replace(tzinfo=None) == datetime(2026, 12, 7, 7, 30)
    assert december.utcoffset() == timedelta(0)
    assert december.tzname() == "GMT"


def test_times_stay_local_across_a_dst_change(new_york_plan: Plan) -> None:
    calendar = _parse(plan_to_ical(new_york_plan))
    assert [tz.tz_name for tz in calendar.timezones] == ["America/New_York"]
    before = _start(_by_kind(calendar, SessionKind.morning_mobility, date(2027, 3, 13)))
    after = _start(_by_kind(calendar, SessionKind.morning_mobility, date(2027, 3, 15)))
    assert (before.hour, before.minute) == (after.hour, after.minute) == (7, 30)
    assert before.utcoffset() == timedelta(hours=-5)
    assert after.utcoffset() == timedelta(hours=-4)
    assert (before.tzname(), after.tzname()) == ("EST", "EDT")
    assert before.astimezone(UTC).time() == time(12, 30)
    assert after.astimezone(UTC).time() == time(11, 30)
    # The VTIMEZONE states both rules, so an app without the IANA database gets it right too.
    text = plan_to_ical(new_york_plan).decode()
    assert "TZOFFSETTO:-0400" in text
    assert "TZOFFSETTO:-0500" in text


def test_durations_round_up_to_whole_minutes(london: Calendar) -> None:
    monday = date(2026, 12, 7)
    morning = _by_kind(london, SessionKind.morning_mobility, monday)
    strength = _by_kind(london, SessionKind.strength, monday)
    breaks = _by_kind(london, SessionKind.micro_break, monday)
    assert _end(morning) - _start(morning) == timedelta(minutes=7)  # 6.5
    assert _end(strength) - _start(strength) == timedelta(minutes=20)  # 19.25
    assert _end(breaks) - _start(breaks) == timedelta(minutes=1)  # 5.0 / 10 breaks


def test_micro_breaks_are_one_repeating_event(london: Calendar) -> None:
    day = date(2026, 12, 8)
    event = _by_kind(london, SessionKind.micro_break, day)
    [rule] = event.rrules
    assert rule["FREQ"] == ["MINUTELY"]
    assert rule["INTERVAL"] == [45]
    assert rule["COUNT"] == [10]
    assert "rrule" not in _by_kind(london, SessionKind.morning_mobility, day)

    start = _start(event)
    occurrences: list[datetime] = list(rrulestr(rule.to_ical().decode(), dtstart=start))
    assert len(occurrences) == 10
    assert occurrences[0] == start == datetime(2026, 12, 8, 9, 0, tzinfo=start.tzinfo)
    assert occurrences[-1] == datetime(2026, 12, 8, 15, 45, tzinfo=start.tzinfo)
    assert all(time(9) <= moment.time() <= time(17) for moment in occurrences)
    assert all(moment.date() == day for moment in occurrences)


def test_uids_are_unique_and_deterministic(london: Calendar) -> None:
    uids = [str(event["uid"]) for event in london.events]
    assert len(set(uids)) == len(uids)
    assert "0123456789abcdef-w1-2026-12-07-morning_mobility@hipspine" in uids
    assert "0123456789abcdef-w8-2027-01-25-strength@hipspine" in uids


def test_same_plan_same_bytes(london_plan: Plan) -> None:
    data = plan_to_ical(london_plan)
    assert plan_to_ical(london_plan) == data
    # A plan read back from its JSON (as the API stores it) gives the same bytes too.
    assert plan_to_ical(Plan.model_validate_json(london_plan.model_dump_json())) == data


def test_dtstamp_is_derived_from_the_plan(london: Calendar) -> None:
    stamps = {event.decoded("dtstamp") for event in london.events}
    assert stamps == {datetime(2026, 12, 7, tzinfo=UTC)}


def test_events_are_ordered(london: Calendar) -> None:
    starts = [_start(event) for event in london.events]
    assert starts == sorted(starts)
    first_monday = [str(event["summary"]) for event in london.events[:3]]
    assert first_monday == [
        "Week 1 · Morning mobilisation",
        "Week 1 · Micro-breaks",
        "Week 1 · Strength",
    ]


def test_summary_and_description(london: Calendar) -> None:
    event = _by_kind(london, SessionKind.strength, date(2026, 12, 21))
    assert str(event["summary"]) == "Week 3 · Strength"
    assert list(event.get("categories").cats) == ["strength"]
    description = str(event["description"])
    assert "Glute bridge — 3 × 12" in description
    assert "Focus of week 3: move a little, often" in description
    assert "Why Glute bridge in week 3; it helps, gently." in description

    morning = _by_kind(london, SessionKind.morning_mobility, date(2026, 12, 21))
    # Commas and semicolons survive icalendar's escaping.
    lines = str(morning["description"]).splitlines()
    assert "Hip flexor stretch, kneeling — 3 × 30 s each side (more on the left: 3 × 12)" in lines
    assert "Cat-camel — 2 × 10 slow reps" in lines

    breaks = _by_kind(london, SessionKind.micro_break, date(2026, 12, 21))
    assert str(breaks["description"]).startswith("Every 45 minutes, 10 times")


def test_output_is_folded_crlf(london_plan: Plan) -> None:
    data = plan_to_ical(london_plan)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
