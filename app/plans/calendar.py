"""The 8-week plan as an iCalendar (RFC 5545) file that calendar apps import.

One VEVENT per session per day, in the plan's own time zone (``DTSTART;TZID=...`` with a
matching VTIMEZONE), never UTC or floating. A day's micro-breaks are one VEVENT, one break long,
with an ``RRULE`` that repeats it through the working hours.

The output is a pure function of the plan: the same plan gives byte-identical bytes. So the UIDs
are derived from the plan's ``input_hash``, DTSTAMP is derived from the plan's dates rather than
the clock, the events are sorted, and the time zone rules come from the pinned ``tzdata``
package (the one ``schemas.TIME_ZONES`` lists) rather than whatever the host has installed.
"""

import importlib.resources
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from app.catalogue.schemas import SessionKind
from app.plans.schemas import Plan, PlanItem, PlanSession

__all__ = ["plan_to_ical"]

PRODID = "-//Hip-Spine API//Plan//EN"
CALENDAR_NAME = "Hip-spine 8-week plan"
UID_DOMAIN = "hipspine"

KIND_NAMES: dict[SessionKind, str] = {
    SessionKind.morning_mobility: "Morning mobilisation",
    SessionKind.micro_break: "Micro-breaks",
    SessionKind.strength: "Strength",
    SessionKind.cardio: "Cardio",
    SessionKind.evening_flexibility: "Evening flexibility & release",
    SessionKind.mind_body: "Mind-body",
}
# Ties on date and start time are broken in the order of the guide's day (the enum's order).
_KIND_ORDER: dict[SessionKind, int] = {kind: index for index, kind in enumerate(SessionKind)}


@dataclass(frozen=True)
class _Entry:
    week: int
    focus: str
    day: date
    session: PlanSession


def _zone(name: str) -> ZoneInfo:
    """The zone from the ``tzdata`` package, so every machine writes the same VTIMEZONE.

    ``ZoneInfo(name)`` would prefer the host's ``/usr/share/zoneinfo``, whose version differs
    between a laptop, CI and the container image. ``name`` was validated against this same
    package's list by ``PlanRequest``.
    """
    resource = importlib.resources.files("tzdata.zoneinfo")
    for part in name.split("/"):
        resource = resource / part
    with resource.open("rb") as handle:
        return ZoneInfo.from_file(handle, key=name)


def _whole_minutes(minutes: float) -> int:
    """Round up to whole minutes, at least 1; ``round`` first so 5.000000001 is still 5."""
    return max(1, math.ceil(round(minutes, 6)))


def _is_repeating(session: PlanSession) -> bool:
    return session.repeat_every_minutes is not None and session.repeats > 1


def _item_line(item: PlanItem) -> str:
    line = f"{item.name} — {item.dose.text}"
    if item.extra_volume_side is not None and item.extra_volume_dose is not None:
        line += f" (more on the {item.extra_volume_side.value}: {item.extra_volume_dose.text})"
    return line


def _description(entry: _Entry) -> str:
    session = entry.session
    parts: list[str] = []
    if _is_repeating(session):
        parts.append(
            f"Every {session.repeat_every_minutes} minutes, {session.repeats} times "
            f"(about {_whole_minutes(session.minutes / session.repeats)} min each)."
        )
    if session.items:
        parts.append("\n".join(_item_line(item) for item in session.items))
    parts.append(f"Week {entry.week} focus: {entry.focus}")
    if session.items:
        parts.append(
            "Why:\n" + "\n".join(f"• {item.name}: {item.why.text}" for item in session.items)
        )
    return "\n\n".join(parts)


def _event(entry: _Entry, zone: ZoneInfo, uid: str, stamp: datetime) -> Event:
    session = entry.session
    start = datetime.combine(entry.day, session.start, tzinfo=zone)
    if _is_repeating(session):
        length = _whole_minutes(session.minutes / session.repeats)
    else:
        length = _whole_minutes(session.minutes)
    # The end is computed in exact (UTC) time, then shown in the zone, so a session that spans
    # a DST change still lasts ``length`` minutes.
    end = (start.astimezone(UTC) + timedelta(minutes=length)).astimezone(zone)

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"Week {entry.week} · {KIND_NAMES[session.kind]}")
    event.add("description", _description(entry))
    event.add("categories", [session.kind.value])
    if _is_repeating(session):
        event.add(
            "rrule",
            {
                "freq": "MINUTELY",
                "interval": session.repeat_every_minutes,
                "count": session.repeats,
            },
        )
    return event


def _entries(plan: Plan) -> list[_Entry]:
    entries = [
        _Entry(week=week.week, focus=week.focus, day=day.date, session=session)
        for week in plan.weeks
        for day in week.days
        for session in day.sessions
    ]
    # ``sorted`` is stable: sessions equal on all three keep the plan's order.
    return sorted(entries, key=lambda e: (e.day, e.session.start, _KIND_ORDER[e.session.kind]))


def plan_to_ical(plan: Plan) -> bytes:
    """The plan as an RFC 5545 calendar (``text/calendar``), one event per session per day."""
    name = plan.inputs.time_zone
    zone = _zone(name)
    entries = _entries(plan)
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
    # the same input gives the same bytes (ETags, caches, the input hash), and a wall-clock
    # stamp would change on every request. So the stamp is fixed by the plan itself: midnight
    # UTC of the plan's first day. It is only a version marker for METHOD:PUBLISH; a new plan
    # (new input hash) gets new UIDs anyway.
    stamp = datetime.combine(first, time(0), tzinfo=UTC)

    seen: dict[str, int] = {}
    for entry in entries:
        day = entry.day.isoformat()
        uid = f"{plan.input_hash[:16]}-w{entry.week}-{day}-{entry.session.kind.value}"
        # The schema allows two sessions of one kind on a day; the second gets "-2", and so on.
        seen[uid] = count = seen.get(uid, 0) + 1
        if count > 1:
            uid = f"{uid}-{count}"
        calendar.add_component(_event(entry, zone, f"{uid}@{UID_DOMAIN}", stamp))

    data: bytes = calendar.to_ical()
    return data
