"""Two organisations with keys of different scopes, made through the tenants service."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import utc_now
from app.tenants import service as tenants
from app.tenants.keys import KeyKind, Scope
from tests.conftest import TEST_KEY_SECRET

SECRET = TEST_KEY_SECRET.encode()
ALL_SCOPES = list(Scope)


@dataclass(frozen=True)
class Tenant:
    organisation_id: str
    key: str  # every scope

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **extra}


def issue_key(
    session: Session,
    organisation_id: str,
    scopes: Iterable[Scope] = ALL_SCOPES,
    **options: Any,
) -> str:
    issued = tenants.create_key(
        session,
        organisation_id=uuid.UUID(organisation_id),
        scopes=list(scopes),
        secret=SECRET,
        kind=KeyKind.test,
        **options,
    )
    return issued.plaintext


def _tenant(session: Session, name: str) -> Tenant:
    organisation = tenants.create_organisation(session, name)
    return Tenant(
        organisation_id=str(organisation.id), key=issue_key(session, str(organisation.id))
    )


@pytest.fixture
def clinic(session: Session) -> Tenant:
    return _tenant(session, "Riverside Physio")


@pytest.fixture
def other_clinic(session: Session) -> Tenant:
    return _tenant(session, "Hilltop Clinic")


@pytest.fixture
def revoked_key(session: Session, clinic: Tenant) -> str:
    key = issue_key(session, clinic.organisation_id)
    tenants.revoke_key(session, key.split("_")[2])
    return key


@pytest.fixture
def expired_key(session: Session, clinic: Tenant) -> str:
    return issue_key(session, clinic.organisation_id, expires_at=utc_now() - timedelta(seconds=1))


def create_patient(client: TestClient, tenant: Tenant, reference: str = "P-1") -> dict[str, Any]:
    response = client.post(
        "/v1/patients", json={"external_reference": reference}, headers=tenant.headers()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
