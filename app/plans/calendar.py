"""The 8-week plan as an iCalendar (RFC 5545) file that calendar apps import or subscribe to.

The re-tests of weeks 4 and 8 are all-day events on their dates. Events are in the plan's own
time zone (``DTSTART;TZID=...`` with a matching VTIMEZONE), never
UTC or floating, and each carries a reminder (``VALARM``) the plan's ``reminder_minutes_before``
ahead. Every session of a day is one event, except the micro-breaks: a week's breaks at one time
of day are one event repeating weekly on the working days (no recurrence is more frequent than
daily, which many calendar apps ignore). Each description has the steps, the dose and the stop
rule; a micro-break says to pick one movement for that minute.

A stored plan adapted to the patient's logs keeps its UIDs: an event a revision changed has a
``SEQUENCE`` one higher per change. A stopped plan keeps its UIDs too: every event after the
stop is ``STATUS:CANCELLED`` with a higher ``SEQUENCE`` (a repeating event that has started
loses its later dates by ``EXDATE``), so a calendar that re-reads the file clears the rest of
the plan.

The output is a pure function of the plan and its stop: the same input gives byte-identical
bytes. So the UIDs are derived from the plan's ``input_hash``, DTSTAMP from the plan's dates (or
the stop) rather than the clock, the events are sorted, and the time zone rules come from the
pinned ``tzdata`` package (the one ``schemas.TIME_ZONES`` lists) rather than the host's.
"""

import importlib.resources
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone

from app.catalogue import SessionKind
from app.plans.schemas import Plan, PlanItem, PlanSession, PlanWeek, Retest

__all__ = ["plan_to_ical"]

PRODID = "-//Hip-Spine API//Plan//EN"
CALENDAR_NAME = "Hip-spine 8-week plan"
UID_DOMAIN = "hipspine"
# SEQUENCE of an event as planned, and once the plan is stopped (RFC 5545 3.8.7.4).
PLANNED, CANCELLED = 0, 1

KIND_NAMES: dict[SessionKind, str] = {
    SessionKind.morning_mobility: "Morning mobilisation",
    SessionKind.micro_break: "Micro-break",
    SessionKind.strength: "Strength",
    SessionKind.cardio: "Cardio",
    SessionKind.evening_flexibility: "Evening flexibility & release",
    SessionKind.mind_body: "Mind-body",
}
# Ties on start time are broken in the order of the guide's day (the enum's order).
_KIND_ORDER: dict[SessionKind, int] = {kind: index for index, kind in enumerate(SessionKind)}
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class _Occurrences:
    """One event: a session at one or more local start times (more only for micro-breaks)."""

    uid: str
    week: PlanWeek
    session: PlanSession
    starts: tuple[datetime, ...]  # aware, in the plan's zone, ascending


def plan_to_ical(
    plan: Plan, *, stopped_at: datetime | None = None, earlier: Sequence[Plan] = ()
) -> bytes:
    """The plan as an RFC 5545 calendar (``text/calendar``); with ``stopped_at`` (aware), every
    event after it is cancelled. ``earlier`` are the plan's earlier revisions, oldest first: an
    event that changed between revisions keeps its UID, its SEQUENCE one higher per change."""
    name = plan.inputs.time_zone
    zone = _zone(name)
    revised = _changes_per_event([*earlier, plan], zone)
    days = [day.date for week in plan.weeks for day in week.days]
    first, last = min(days), max(days)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", name)
    # The VTIMEZONE covers whole years around the plan, so it states both the standard and the
    # daylight rule of the zone and still holds if someone drags a session a few weeks later.
    # (``Calendar.add_missing_timezones`` would do the same but from the host's zone files.)
    calendar.add_component(
        Timezone.from_tzinfo(
            zone,
            tzid=name,
            first_date=date(first.year, 1, 1),
            last_date=date(last.year + 2, 1, 1),
        )
    )
    # RFC 5545 requires DTSTAMP on every VEVENT, and it is usually "now". But the API promises
    # the same input gives the same bytes (ETags, caches, the input hash), so the stamp is fixed
    # by the plan: midnight UTC of its first day, or the stop for what the stop cancelled.
    planned_stamp = datetime.combine(first, time(0), tzinfo=UTC)
    events = [
        (
            _start_order(occurrences),
            _event(plan, occurrences, planned_stamp, stopped_at, revised.get(occurrences.uid, 0)),
        )
        for occurrences in _occurrences(plan, zone)
    ]
    events += [
        _retest_event(plan, week, retest, zone, planned_stamp, stopped_at)
        for week in plan.weeks
        if (retest := week.retest) is not None
    ]
    for _order, event in sorted(events, key=lambda keyed: keyed[0]):
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def _zone(name: str) -> ZoneInfo:
    """The zone from the ``tzdata`` package, so every machine writes the same VTIMEZONE.

    ``ZoneInfo(name)`` would prefer the host's ``/usr/share/zoneinfo``, whose version differs
    between a laptop, CI and the container image. ``name`` was validated against this same
    package's list by ``PlanOptions``.
    """
    resource = importlib.resources.files("tzdata.zoneinfo")
    for part in name.split("/"):
        resource = resource / part
    with resource.open("rb") as handle:
        return ZoneInfo.from_file(handle, key=name)


# --- which events ------------------------------------------------------------------------------


def _occurrences(plan: Plan, zone: ZoneInfo) -> list[_Occurrences]:
    prefix = plan.input_hash[:16]
    events: list[_Occurrences] = []
    for week in plan.weeks:
        micro_breaks: list[tuple[date, PlanSession]] = []
        for day in week.days:
            seen: dict[SessionKind, int] = {}
            for session in day.sessions:
                if session.kind is SessionKind.micro_break:
                    micro_breaks.append((day.date, session))
                    continue
                # The schema allows two sessions of one kind on a day; the second gets "-2".
                seen[session.kind] = count = seen.get(session.kind, 0) + 1
                suffix = f"-{count}" if count > 1 else ""
                uid = f"{prefix}-w{week.week}-{day.date.isoformat()}-{session.kind.value}{suffix}"
                start = datetime.combine(day.date, session.start, tzinfo=zone)
                events.append(_Occurrences(_uid(uid), week, session, (start,)))
        events += _micro_break_series(prefix, week, micro_breaks, zone)
    return events


def _micro_break_series(
    prefix: str, week: PlanWeek, breaks: Sequence[tuple[date, PlanSession]], zone: ZoneInfo
) -> list[_Occurrences]:
    """One event per time of day, on every working day of the week: the n-th break of each
    day is the n-th series. A week's micro-break sessions are all the same session."""
    if not breaks:
        return []
    session = breaks[0][1]
    interval = timedelta(minutes=session.repeat_every_minutes or 0)
    series = []
    for number in range(session.repeats):
        # Wall-clock arithmetic: a night shift's later breaks fall on the next date.
        starts = tuple(
            (datetime.combine(day, session.start) + number * interval).replace(tzinfo=zone)
            for day, _session in breaks
        )
        clock = starts[0].strftime("%H%M")
        series.append(
            _Occurrences(
                _uid(f"{prefix}-w{week.week}-micro-break-{number + 1}-{clock}"),
                week,
                session,
                starts,
            )
        )
    return series


def _uid(local: str) -> str:
    return f"{local}@{UID_DOMAIN}"


def _start_order(occurrences: _Occurrences) -> tuple[datetime, int, str]:
    first = occurrences.starts[0]
    return (first.replace(tzinfo=None), _KIND_ORDER[occurrences.session.kind], occurrences.uid)


def _changes_per_event(revisions: Sequence[Plan], zone: ZoneInfo) -> dict[str, int]:
    """For each event of the last revision, how many revisions changed it (its times, length or
    description)."""
    contents = [
        {
            occurrences.uid: (
                occurrences.starts,
                _minutes_each(occurrences.session),
                _description(plan, occurrences.week, occurrences.session),
            )
            for occurrences in _occurrences(plan, zone)
        }
        for plan in revisions
    ]
    changes: dict[str, int] = {}
    for before, after in itertools.pairwise(contents):
        for uid, content in after.items():
            if before.get(uid) != content:
                changes[uid] = changes.get(uid, 0) + 1
    return changes


# --- one event ---------------------------------------------------------------------------------


def _event(
    plan: Plan,
    occurrences: _Occurrences,
    planned_stamp: datetime,
    stopped_at: datetime | None,
    revised: int,
) -> Event:
    session, starts = occurrences.session, occurrences.starts
    cancelled = [start for start in starts if stopped_at is not None and start >= stopped_at]
    whole_event_cancelled = len(cancelled) == len(starts)

    event = Event()
    event.add("uid", occurrences.uid)
    event.add("dtstamp", stopped_at.astimezone(UTC) if cancelled and stopped_at else planned_stamp)
    event.add("dtstart", starts[0])
    # The end is computed in exact (UTC) time, then shown in the zone, so a session that spans
    # a DST change still lasts its minutes.
    length = timedelta(minutes=_whole_minutes(_minutes_each(session)))
    event.add("dtend", (starts[0].astimezone(UTC) + length).astimezone(starts[0].tzinfo))
    summary = f"Week {occurrences.week.week} · {KIND_NAMES[session.kind]}"
    event.add("summary", summary)
    event.add("description", _description(plan, occurrences.week, session))
    event.add("categories", [session.kind.value])
    event.add("sequence", revised + (CANCELLED if cancelled else PLANNED))
    event.add("status", "CANCELLED" if whole_event_cancelled else "CONFIRMED")
    if len(starts) > 1:
        event.add("rrule", _weekly_on_the_days_of(starts))
    if cancelled and not whole_event_cancelled:
        event.add("exdate", cancelled)
    if not whole_event_cancelled:
        event.add_component(_reminder(plan.inputs.reminder_minutes_before, summary))
    return event


def _weekly_on_the_days_of(starts: Sequence[datetime]) -> dict[str, object]:
    """Starts within one week, each on another weekday, as a weekly rule on those weekdays."""
    return {
        "freq": "WEEKLY",
        "byday": [_BYDAY[start.weekday()] for start in starts],
        # UNTIL is in UTC when DTSTART has a TZID (RFC 5545 3.3.10).
        "until": starts[-1].astimezone(UTC),
    }


def _reminder(minutes_before: int, summary: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", -timedelta(minutes=minutes_before))
    return alarm


def _minutes_each(session: PlanSession) -> float:
    """One break of a micro-break session; the whole session otherwise."""
    if session.kind is SessionKind.micro_break:
        return session.minutes / session.repeats
    return session.minutes


def _whole_minutes(minutes: float) -> int:
    """Round up to whole minutes, at least 1; ``round`` first so 5.000000001 is still 5."""
    return max(1, math.ceil(round(minutes, 6)))


def _retest_event(
    plan: Plan,
    week: PlanWeek,
    retest: Retest,
    zone: ZoneInfo,
    planned_stamp: datetime,
    stopped_at: datetime | None,
) -> tuple[tuple[datetime, int, str], Event]:
    """The week's re-test (PG-11) as an all-day event on its date, ahead of the day's sessions;
    cancelled, like the sessions, when the plan stopped before the day began."""
    uid = _uid(f"{plan.input_hash[:16]}-w{week.week}-retest")
    cancelled = (
        stopped_at is not None and datetime.combine(retest.date, time(0), zone) >= stopped_at
    )
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stopped_at.astimezone(UTC) if cancelled and stopped_at else planned_stamp)
    event.add("dtstart", retest.date)
    event.add("dtend", retest.date + timedelta(days=1))
    event.add("summary", f"Week {week.week} · Re-test the self-assessments")
    event.add("description", "\n\n".join([retest.text, plan.stop_rule]))
    event.add("categories", ["retest"])
    event.add("sequence", CANCELLED if cancelled else PLANNED)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    return (datetime.combine(retest.date, time(0)), -1, uid), event


# --- descriptions ------------------------------------------------------------------------------


def _description(plan: Plan, week: PlanWeek, session: PlanSession) -> str:
    steps = {exercise.slug: " ".join(exercise.steps) for exercise in plan.exercises}
    parts: list[str] = []
    if week.care_advice:
        parts.append(week.care_advice)
    if session.kind is SessionKind.micro_break:
        parts.append("Pick one of these and do it now, for about a minute:")
        parts.append(
            "\n".join(f"• {_item_line(item)}\n  {steps[item.slug]}" for item in session.items)
        )
    else:
        parts.append(
            "\n".join(
                f"{number}. {_item_line(item)}\n   {steps[item.slug]}"
                for number, item in enumerate(session.items, start=1)
            )
        )
    parts.append(plan.stop_rule)
    # Why each item is there is in the plan itself; the event keeps to what to do.
    parts.append(f"Week {week.week} focus: {week.focus}")
    return "\n\n".join(parts)


def _item_line(item: PlanItem) -> str:
    line = f"{item.name}: {item.dose.text}"
    if item.only_side is not None:
        line += f" ({item.only_side.value} side only)"
    if item.extra_volume_side is not None and item.extra_volume_dose is not None:
        line += f" (more on the {item.extra_volume_side.value}: {item.extra_volume_dose.text})"
    if item.gentler_side is not None and item.gentler_side_dose is not None:
        line += f" (gentler on the {item.gentler_side.value}: {item.gentler_side_dose.text})"
    if item.caution:
        line += f". {item.caution}"
    return line
