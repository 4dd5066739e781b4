"""Plans and logs as the progress tests build them: real plans from the generator and the
repository's catalogue, logs that name the plan's own sessions."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import pytest

from app.assessments.examples import NO_RED_FLAGS
from app.assessments.service import Assessments
from app.catalogue.content import Content
from app.catalogue.snapshot import CatalogueSnapshot
from app.plans.schemas import Plan, PlanDay, PlanItem
from app.progress.adaptation import Adaptation, ScoredLog, adapt
from app.progress.adapter import load_rules, scored_logs
from app.progress.rules import AdaptationRules
from app.progress.schemas import DatedLog
from tests.plans.test_generator import generate, options, outcome

RULES = load_rules()
ASSESSMENTS = Assessments.load()
START = date(2026, 12, 7)  # the generator tests' roomy plan, a Monday


@pytest.fixture(scope="session")
def catalogue(content: Content) -> CatalogueSnapshot:
    return CatalogueSnapshot(
        version=content.version, exercises=content.exercises, guidance=content.guidance
    )


@pytest.fixture(scope="session")
def plan(catalogue: CatalogueSnapshot) -> Plan:
    """Room for the whole table, a restricted right hip and a painful left hip extension."""
    return generate(
        catalogue,
        options(pain_now=4),
        outcome("hip_extension.restricted.right", "hip_extension.painful.left", pain=4),
    )


def day_of(plan: Plan, day: date) -> PlanDay:
    return next(d for week in plan.weeks for d in week.days if d.date == day)


def on(offset: int) -> date:
    return START + timedelta(days=offset)


def log(
    plan: Plan,
    offset: int,
    pain: int = 4,
    *,
    done: float = 1.0,
    red_flags: dict[str, bool] | None = None,
    **fields: Any,
) -> DatedLog:
    """The log of day ``offset`` of the plan with ``done`` of the day's sessions done."""
    day = day_of(plan, on(offset))
    sessions = [session.id for session in day.sessions]
    return DatedLog.model_validate(
        {
            "date": day.date.isoformat(),
            "pain": pain,
            "hip_mobility": 5,
            "relief_movements": [],
            "sessions_done": sessions[: round(len(sessions) * done)],
            "sharp_pain": [],
            "red_flags": {**NO_RED_FLAGS, **(red_flags or {})},
            **fields,
        }
    )


def steady(plan: Plan, offsets: Iterable[int], pain: int = 4) -> list[DatedLog]:
    return [log(plan, offset, pain) for offset in offsets]


def run(
    plan: Plan,
    logs: Iterable[DatedLog],
    catalogue: CatalogueSnapshot,
    rules: AdaptationRules = RULES,
) -> Adaptation:
    return adapt(plan, scored(logs), rules=rules, catalogue=catalogue)


def scored(logs: Iterable[DatedLog]) -> list[ScoredLog]:
    return scored_logs(list(logs), ASSESSMENTS)


def items(day: PlanDay) -> list[PlanItem]:
    return [item for session in day.sessions for item in session.items]


def days_after(plan: Plan, day: date) -> list[PlanDay]:
    return [d for week in plan.weeks for d in week.days if d.date > day]


def days_until(plan: Plan, day: date) -> list[PlanDay]:
    return [d for week in plan.weeks for d in week.days if d.date <= day]
