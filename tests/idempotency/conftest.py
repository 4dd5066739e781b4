"""The three idempotent creates, what each needs stored first, and counts taken in the database.

The patients' tenants (two organisations with all-scope keys) serve these tests too.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from app.assessments.examples import REQUESTS as ANSWERS
from app.patients.examples import PLAN_REQUESTS_FOR_PATIENT
from tests.patients.conftest import clinic, other_clinic

__all__ = ["CREATES", "Create", "clinic", "count_rows", "create_target", "other_clinic"]


@dataclass(frozen=True)
class Create:
    """An idempotent create: its table, its body and the service function that writes it."""

    table: str
    body: dict[str, Any]
    service_function: str


CREATES = {
    "patient": Create("patient", {"external_reference": "ONCE"}, "create_patient"),
    "assessment": Create("patient_assessment", ANSWERS["self_care"]["value"], "store_assessment"),
    "plan": Create(
        "patient_plan", PLAN_REQUESTS_FOR_PATIENT["from_latest_assessment"]["value"], "create_plan"
    ),
}


def create_target(client: Any, create: Create, headers: dict[str, str]) -> str:
    """The path to POST ``create`` to, after storing what it needs: a patient for an
    assessment, and a stored assessment too for a plan. ``client`` is an httpx or test client."""
    if create.table == "patient":
        return "/v1/patients"
    owner = client.post("/v1/patients", json={"external_reference": "OWNER"}, headers=headers)
    assert owner.status_code == 201, owner.text
    patient = f"/v1/patients/{owner.json()['id']}"
    if create.table == "patient_assessment":
        return f"{patient}/assessments"
    stored = client.post(f"{patient}/assessments", json=CREATES["assessment"].body, headers=headers)
    assert stored.status_code == 201, stored.text
    return f"{patient}/plans"


def count_rows(engine: Engine, table: str) -> int:
    """Rows committed in ``table``, read on a connection of its own."""
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
