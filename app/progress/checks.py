"""A log checked against its plan: what JSON Schema cannot say. Pure.

Each problem is a validation error as the API reports them (``loc``, ``msg``, ``type``), so a
route raises ``UnprocessableContent`` with them and stores nothing.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from app.plans import Plan
from app.progress.schemas import DatedLog

Location = tuple[str | int, ...]


def check_log(
    plan: Plan,
    log: DatedLog,
    today: date,
    *,
    at: Location = ("body",),
    date_at: Location | None = None,
) -> list[dict[str, Any]]:
    """The problems of ``log`` against ``plan`` on ``today`` (the plan's time zone): a date in
    the future or outside the plan, a session the plan does not hold that day, an exercise the
    plan does not use, a side for an exercise not done per side. ``at`` locates the log's
    fields (``("body", "logs", 3)`` in a list); ``date_at`` its date when that is elsewhere
    (a path parameter)."""
    problems: list[dict[str, Any]] = []
    where = date_at if date_at is not None else (*at, "date")
    days = {day.date: day for week in plan.weeks for day in week.days}
    first, last = min(days), max(days)
    if log.date > today:
        problems.append(
            _problem(where, f"{log.date} is in the future (today is {today})", "future_date")
        )
    elif not first <= log.date <= last:
        problems.append(
            _problem(
                where,
                f"{log.date} is outside the plan ({first} to {last})",
                "outside_plan",
            )
        )
    day = days.get(log.date)
    held = {session.id for session in day.sessions} if day is not None else set()
    for index, session_id in enumerate(log.sessions_done):
        if session_id not in held:
            problems.append(
                _problem(
                    (*at, "sessions_done", index),
                    f"The plan holds no session {session_id!r} on {log.date}",
                    "unknown_session",
                )
            )
    per_side = _per_side(plan)
    for index, slug in enumerate(log.relief_movements):
        if slug not in per_side:
            problems.append(_not_in_plan((*at, "relief_movements", index), slug))
    for index, pain in enumerate(log.sharp_pain):
        if pain.slug not in per_side:
            problems.append(_not_in_plan((*at, "sharp_pain", index, "slug"), pain.slug))
        elif pain.side is not None and not per_side[pain.slug]:
            problems.append(
                _problem(
                    (*at, "sharp_pain", index, "side"),
                    f"{pain.slug!r} is not done per side: give side null",
                    "not_per_side",
                )
            )
    return problems


def check_logs(plan: Plan, logs: Sequence[DatedLog], today: date) -> list[dict[str, Any]]:
    """Every problem of a request's ``logs`` list."""
    return [
        problem
        for index, log in enumerate(logs)
        for problem in check_log(plan, log, today, at=("body", "logs", index))
    ]


def _per_side(plan: Plan) -> dict[str, bool]:
    """The plan's exercises, and whether each is done per side."""
    per_side = {exercise.slug: False for exercise in plan.exercises}
    for week in plan.weeks:
        for day in week.days:
            for session in day.sessions:
                for item in session.items:
                    per_side[item.slug] = per_side.get(item.slug, False) or item.dose.per_side
    return per_side


def _not_in_plan(loc: Location, slug: str) -> dict[str, Any]:
    return _problem(loc, f"{slug!r} is not an exercise of this plan", "unknown_exercise")


def _problem(loc: Location, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}
