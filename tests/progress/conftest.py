"""The patients' fixtures (two organisations with keys), and a patient with a stored
assessment and plan starting a week ago."""

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.assessments.examples import REQUESTS as ANSWERS
from app.patients.examples import PLAN_REQUESTS_FOR_PATIENT
from tests.patients.conftest import (  # noqa: F401  (fixtures)
    Tenant,
    clinic,
    create_patient,
    other_clinic,
)

TIME_ZONE = "Europe/London"
ANSWERS_BODY = ANSWERS["self_care"]["value"]


def today() -> date:
    from datetime import datetime

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
