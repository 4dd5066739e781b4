"""Plans and logs as the progress tests build them: real plans from the generator and the
repository's catalogue, logs that name the plan's own sessions; for the stored routes, the
patients' fixtures (two organisations with keys) and a patient with a stored assessment and a
plan that started some days ago."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.assessments.examples import NO_RED_FLAGS
from app.assessments.examples import REQUESTS as ANSWERS
from app.assessments.service import Assessments
from app.catalogue.content import Content
from app.catalogue.snapshot import CatalogueSnapshot
from app.patients.examples import PLAN_REQUESTS_FOR_PATIENT
from app.plans.schemas import Plan, PlanDay, PlanItem
from app.progress.adaptation import Adaptation, ScoredLog, adapt
from app.progress.adapter import load_rules, scored_logs
from app.progress.rules import AdaptationRules
from app.progress.schemas import DatedLog
from tests.patients.conftest import (  # noqa: F401  (fixtures)
    Tenant,
    clinic,
    create_patient,
    other_clinic,
)
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


# --- stored progress ---------------------------------------------------------------------------

TIME_ZONE = "Europe/London"
ANSWERS_BODY = ANSWERS["self_care"]["value"]


def today() -> date:
    return datetime.now(ZoneInfo(TIME_ZONE)).date()


def plan_body(start: date) -> dict[str, Any]:
    body: dict[str, Any] = dict(PLAN_REQUESTS_FOR_PATIENT["from_latest_assessment"]["value"])
    return {**body, "start_date": start.isoformat(), "time_zone": TIME_ZONE}


def store_patient_with_plan(
    client: TestClient, tenant: Tenant, reference: str = "P-1", *, days_ago: int = 7
) -> tuple[str, dict[str, Any]]:
    patient = create_patient(client, tenant, reference)["id"]
    stored = client.post(
        f"/v1/patients/{patient}/assessments", json=ANSWERS_BODY, headers=tenant.headers()
    )
    assert stored.status_code == 201, stored.text
    plan = client.post(
        f"/v1/patients/{patient}/plans",
        json=plan_body(today() - timedelta(days=days_ago)),
        headers=tenant.headers(),
    )
    assert plan.status_code == 201, plan.text
    body: dict[str, Any] = plan.json()
    return patient, body


@pytest.fixture
def patient(client: TestClient, clinic: Tenant) -> str:  # noqa: F811
    return str(create_patient(client, clinic, "OUT-1")["id"])
