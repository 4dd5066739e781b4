"""Idempotency-Key on the creating POSTs, end to end, each request's unit of work a savepoint in
the test's transaction (see ``tests/conftest.py``)."""

from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.core.errors import Conflict
from app.idempotency.service import purge_expired
from app.patients import service as patients
from tests.conftest import served_in_test_transaction
from tests.patients.conftest import Tenant


def _create(client: TestClient, tenant: Tenant, key: str, reference: str = "P-1") -> Any:
    return client.post(
        "/v1/patients",
        json={"external_reference": reference},
        headers=tenant.headers(**{"Idempotency-Key": key}),
    )


def _count_patients(client: TestClient, tenant: Tenant) -> int:
    return len(client.get("/v1/patients", headers=tenant.headers()).json()["items"])


def _stored_keys(session: Session) -> list[str]:
    return list(session.execute(text("SELECT key FROM idempotency_record")).scalars())


def test_a_retry_replays_the_first_response(client: TestClient, clinic: Tenant) -> None:
    first = _create(client, clinic, "k-1")
    retry = _create(client, clinic, "k-1")
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    for header in ("location", "etag", "content-type"):
        assert retry.headers[header] == first.headers[header]
    assert _count_patients(client, clinic) == 1


def test_the_same_key_with_another_body_is_refused(client: TestClient, clinic: Tenant) -> None:
    _create(client, clinic, "k-1", "P-1")
    reused = _create(client, clinic, "k-1", "P-2")
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["code"] == "idempotency_key_reused"
    assert _count_patients(client, clinic) == 1


def test_the_same_key_on_another_path_is_refused(client: TestClient, clinic: Tenant) -> None:
    patient_id = _create(client, clinic, "k-1").json()["id"]
    other = client.post(
        f"/v1/patients/{patient_id}/assessments",
        json={"external_reference": "P-1"},
        headers=clinic.headers(**{"Idempotency-Key": "k-1"}),
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_an_error_is_stored_and_replayed_too(client: TestClient, clinic: Tenant) -> None:
    holder = _create(client, clinic, "k-first", "TAKEN").json()
    refused = _create(client, clinic, "k-second", "TAKEN")
    assert refused.status_code == 409
    # The reference is free again; the retry still gets the first answer, not a new create.
    renamed = client.patch(
        f"/v1/patients/{holder['id']}",
        json={"external_reference": "RENAMED"},
        headers=clinic.headers(**{"If-Match": '"v1"'}),
    )
    assert renamed.status_code == 200
    retry = _create(client, clinic, "k-second", "TAKEN")
    assert retry.status_code == 409
    assert retry.content == refused.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert _count_patients(client, clinic) == 1


@pytest.fixture
def refusing_after_the_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """The create writes its patient, then refuses: the refusal must not keep the write."""
    real = patients.create_patient

    def write_then_refuse(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Conflict("Refused after the patient was written.")

    monkeypatch.setattr(patients, "create_patient", write_then_refuse)


@pytest.mark.usefixtures("refusing_after_the_write")
def test_an_error_is_stored_without_the_work_it_undid(
    client: TestClient, clinic: Tenant, session: Session
) -> None:
    refused = _create(client, clinic, "k-refused")
    retry = _create(client, clinic, "k-refused")
    assert refused.status_code == retry.status_code == 409
    assert retry.content == refused.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert _count_patients(client, clinic) == 0
    stored = session.execute(text("SELECT status_code FROM idempotency_record")).scalars().all()
    assert stored == [409]


def test_an_invalid_body_is_stored_like_any_first_response(
    client: TestClient, clinic: Tenant
) -> None:
    headers = clinic.headers(**{"Idempotency-Key": "k-bad"})
    first = client.post("/v1/patients", json={"external_reference": ""}, headers=headers)
    retry = client.post("/v1/patients", json={"external_reference": ""}, headers=headers)
    assert first.status_code == retry.status_code == 422
    assert retry.headers["idempotent-replayed"] == "true"


def test_keys_belong_to_one_organisation(
    client: TestClient, clinic: Tenant, other_clinic: Tenant
) -> None:
    mine = _create(client, clinic, "shared-key")
    theirs = _create(client, other_clinic, "shared-key")
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


def test_an_expired_key_runs_again(client: TestClient, clinic: Tenant, session: Session) -> None:
    _create(client, clinic, "k-old", "P-1")
    session.execute(text("UPDATE idempotency_record SET expires_at = created_at"))
    again = _create(client, clinic, "k-old", "P-2")
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert _count_patients(client, clinic) == 2


def test_records_are_kept_at_least_a_day(
    client: TestClient, clinic: Tenant, session: Session
) -> None:
    _create(client, clinic, "k-ttl")
    created, expires = session.execute(
        text("SELECT created_at, expires_at FROM idempotency_record")
    ).one()
    if isinstance(expires, str):  # SQLite hands raw SQL back as text
        created, expires = datetime.fromisoformat(created), datetime.fromisoformat(expires)
    assert (expires - created).total_seconds() >= 24 * 3600


@pytest.mark.parametrize("key", ["x" * 256, "with space", "ünïcode"])
def test_a_malformed_key_is_a_422(client: TestClient, clinic: Tenant, key: str) -> None:
    response = client.post(
        "/v1/patients",
        json={"external_reference": "P-1"},
        headers={
            **{name.encode(): value.encode() for name, value in clinic.headers().items()},
            b"Idempotency-Key": key.encode(),
        },
    )
    assert response.status_code == 422
    assert _count_patients(client, clinic) == 0


@pytest.fixture
def failing_create(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = patients.create_patient

    def fail_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(patients, "create_patient", fail_once)
    return calls


def test_an_unexpected_failure_releases_the_key(
    app: FastAPI, clinic: Tenant, session: Session, failing_create: list[int]
) -> None:
    with served_in_test_transaction(app, session, raise_server_exceptions=False) as raw:
        headers = {**clinic.headers(), "Idempotency-Key": "k-crash"}
        crashed = raw.post("/v1/patients", json={"external_reference": "P-1"}, headers=headers)
        assert crashed.status_code == 500
        assert _stored_keys(session) == []
        retried = raw.post("/v1/patients", json={"external_reference": "P-1"}, headers=headers)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert len(failing_create) == 2


def test_expired_records_are_purged(client: TestClient, clinic: Tenant, session: Session) -> None:
    _create(client, clinic, "k-expired", "P-1")
    _create(client, clinic, "k-current", "P-2")
    session.execute(
        text("UPDATE idempotency_record SET expires_at = created_at WHERE key = 'k-expired'")
    )
    assert purge_expired(session) == 1
    assert _stored_keys(session) == ["k-current"]
