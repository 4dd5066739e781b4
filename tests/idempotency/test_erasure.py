"""Erasing a patient erases every stored response that names them, by id or by reference:
their creates and stored records, and the errors about them (a 409 naming their reference, a
red-flag refusal with its triage, a 422 under their path)."""

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.assessments.examples import REQUESTS as ANSWERS
from tests.idempotency.conftest import CREATES
from tests.patients.conftest import Tenant


def _keyed(tenant: Tenant, key: str) -> dict[str, str]:
    return tenant.headers(**{"Idempotency-Key": key})


def _stored_bodies(session: Session) -> list[bytes]:
    rows = session.execute(text("SELECT body FROM idempotency_record")).scalars()
    return [bytes(body) for body in rows]


def _naming(session: Session, *names: str) -> list[bytes]:
    return [body for body in _stored_bodies(session) if any(n.encode() in body for n in names)]


def test_a_409_naming_the_reference_goes_with_the_patient_holding_it(
    client: TestClient, clinic: Tenant, session: Session
) -> None:
    body = {"external_reference": "ERASE-ME"}
    holder = client.post("/v1/patients", json=body, headers=_keyed(clinic, "k-create")).json()
    refused = client.post("/v1/patients", json=body, headers=_keyed(clinic, "k-dup"))
    assert refused.json()["code"] == "duplicate_external_reference"
    other = client.post(
        "/v1/patients", json={"external_reference": "KEEP-ME"}, headers=_keyed(clinic, "k-other")
    )
    assert len(_naming(session, "ERASE-ME", holder["id"])) == 2

    erased = client.delete(f"/v1/patients/{holder['id']}", headers=clinic.headers())
    assert erased.status_code == 204
    assert _naming(session, "ERASE-ME", holder["id"]) == []
    assert len(_naming(session, "KEEP-ME", other.json()["id"])) == 1
    # Nothing is replayed about the erased patient: the key runs afresh.
    again = client.post("/v1/patients", json=body, headers=_keyed(clinic, "k-dup"))
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers


def test_errors_stored_under_the_patient_go_with_them(
    client: TestClient, clinic: Tenant, session: Session
) -> None:
    patient = client.post(
        "/v1/patients", json={"external_reference": "RED-FLAG"}, headers=clinic.headers()
    ).json()
    url = f"/v1/patients/{patient['id']}"
    flagged = client.post(
        f"{url}/assessments", json=ANSWERS["emergency"]["value"], headers=_keyed(clinic, "k-a")
    )
    assert flagged.status_code == 201
    refusal = client.post(f"{url}/plans", json=CREATES["plan"].body, headers=_keyed(clinic, "k-p"))
    assert refusal.status_code == 409
    assert refusal.json()["triage"]["level"] == "emergency"
    invalid = client.post(f"{url}/assessments", json={"tests": {}}, headers=_keyed(clinic, "k-i"))
    assert invalid.status_code == 422
    assert len(_naming(session, patient["id"])) == 3

    assert client.delete(url, headers=clinic.headers()).status_code == 204
    assert _naming(session, patient["id"]) == []
    assert _stored_bodies(session) == []


def test_a_refusal_is_linked_to_the_patient_in_the_database(
    client: TestClient, clinic: Tenant, session: Session
) -> None:
    """Linked by the foreign key too, so the database's own cascade finds it."""
    patient = client.post(
        "/v1/patients", json={"external_reference": "P-1"}, headers=clinic.headers()
    ).json()
    client.post(
        f"/v1/patients/{patient['id']}/plans",
        json=CREATES["plan"].body,
        headers=_keyed(clinic, "k-none"),
    )
    linked = session.execute(text("SELECT status_code, patient_id FROM idempotency_record")).one()
    assert linked[0] == 409  # no stored assessment to plan from
    assert uuid.UUID(str(linked[1])) == uuid.UUID(patient["id"])
