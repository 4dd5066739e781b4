"""plan session ids, re-tests and one-sided items: stored plans get what new plans have

Plans now give each item ``only_side`` (null as generated; a progress log's sharp pain on one
side sets it), each session an id, ``"{date}.{kind}"`` with ``-2`` for a second session of one
kind that day (the calendar's UID rule), which progress logs name in ``sessions_done``, and
every week a ``retest`` (the three self-tests again in weeks 4 and 8, PG-11; null otherwise). A
stored plan is JSON kept as generated, so this data migration walks each one and adds what the
generator would: deterministic, and idempotent (what is already there is kept). The downgrade
takes them out again.

Revision ID: 5a1d3c7e9b20
Revises: f4b09da3a891
Create Date: 2026-11-29 02:40:00
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "5a1d3c7e9b20"
down_revision: str | Sequence[str] | None = "f4b09da3a891"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table as this revision knows it (never the application's models, which move on).
patient_plan = sa.table("patient_plan", sa.column("id", sa.Uuid()), sa.column("plan", sa.JSON()))


# PG-11 as this revision's generator words it (app/plans/data/generator.yaml).
RETEST_WEEKS = (4, 8)
RETEST_TESTS = ["hip_extension", "seated_rotation", "bridge"]
RETEST_TEXT = (
    "Re-test: redo the three quick self-assessments (hip extension, seated rotation, bridge) as "
    "you did at the start, before the day's first session, and stop any test that hurts. Record "
    "the results as a new assessment: they are compared with your first one (findings resolved, "
    "persisting or new)."
)


def _retest(week: dict[str, Any]) -> dict[str, Any] | None:
    if week.get("week") not in RETEST_WEEKS or not week.get("days"):
        return None
    return {
        "rule_id": "PG-11",
        "date": week["days"][0]["date"],
        "tests": RETEST_TESTS,
        "text": RETEST_TEXT,
    }


def with_session_ids(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan with an id on every session and a re-test on every week (kept where one is
    already there)."""
    for week in plan.get("weeks", []):
        week.setdefault("retest", _retest(week))
        for day in week.get("days", []):
            seen: dict[str, int] = {}
            sessions = []
            for session in day.get("sessions", []):
                kind = session["kind"]
                seen[kind] = number = seen.get(kind, 0) + 1
                suffix = f"-{number}" if number > 1 else ""
                for item in session.get("items", []):
                    item.setdefault("only_side", None)
                sessions.append({"id": f"{day['date']}.{kind}{suffix}", **session})
            day["sessions"] = sessions
    return plan


def without_session_ids(plan: dict[str, Any]) -> dict[str, Any]:
    for week in plan.get("weeks", []):
        week.pop("retest", None)
        for day in week.get("days", []):
            for session in day.get("sessions", []):
                session.pop("id", None)
                for item in session.get("items", []):
                    item.pop("only_side", None)
    return plan


def _rewrite(change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(patient_plan.c.id, patient_plan.c.plan)).all()
    for plan_id, plan in rows:
        connection.execute(
            sa.update(patient_plan).where(patient_plan.c.id == plan_id).values(plan=change(plan))
        )


def upgrade() -> None:
    _rewrite(with_session_ids)


def downgrade() -> None:
    _rewrite(without_session_ids)
