"""Keys a worker verified recently: served without a lookup for ``API_KEY_CACHE_SECONDS``, never
longer, never past the key's own expiry, and never for a key that failed."""

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.db import utc_now
from app.main import create_app
from app.tenants import service
from app.tenants.keys import KeyKind, Scope
from app.tenants.schemas import Principal
from app.tenants.verified_keys import VerifiedKeys
from tests.conftest import TEST_KEY_SECRET, app_settings, served_in_test_transaction

SECRET = TEST_KEY_SECRET.encode()
TTL = 30.0


class Clocks:
    def __init__(self) -> None:
        self.monotonic = 1000.0
        self.wall = utc_now()

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += timedelta(seconds=seconds)


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def cached_app(engine: Engine) -> FastAPI:
    return create_app(app_settings(engine, api_key_cache_seconds=TTL), engine=engine)


@pytest.fixture
def client(cached_app: FastAPI, session: Session, clocks: Clocks) -> Iterator[TestClient]:
    """The app with a key cache on fake clocks, each request a savepoint of the test's
    transaction (as the shared ``client`` fixture)."""

    with served_in_test_transaction(cached_app, session) as test_client:
        cached_app.state.verified_keys = VerifiedKeys(
            TTL, clock=lambda: clocks.monotonic, now=lambda: clocks.wall
        )
        yield test_client
    cached_app.dependency_overrides.clear()


def new_key(session: Session, *, expires_at: datetime | None = None) -> str:
    organisation = service.create_organisation(session, f"Clinic {uuid.uuid4().hex[:8]}")
    return service.create_key(
        session,
        organisation_id=organisation.id,
        scopes=list(Scope),
        secret=SECRET,
        kind=KeyKind.test,
        expires_at=expires_at,
    ).plaintext


def list_patients(client: TestClient, key: str) -> int:
    return client.get("/v1/patients", headers={"Authorization": f"Bearer {key}"}).status_code


def test_a_revoked_key_stops_working_within_the_cache_bound(
    client: TestClient, session: Session, clocks: Clocks
) -> None:
    key = new_key(session)
    assert list_patients(client, key) == 200

    service.revoke_key(session, key.split("_")[2])
    session.flush()
    clocks.advance(TTL - 1)
    still = list_patients(client, key)
    clocks.advance(1)
    after = list_patients(client, key)

    assert still == 200, "within API_KEY_CACHE_SECONDS the worker trusts what it verified"
    assert after == 401


def test_failed_keys_are_never_kept_so_a_new_key_works_at_once(
    client: TestClient, cached_app: FastAPI, session: Session
) -> None:
    unknown = "hs_test_0123456789ab_" + "A" * 40
    assert list_patients(client, unknown) == 401
    assert len(cached_app.state.verified_keys) == 0

    key = new_key(session)

    assert list_patients(client, key) == 200
    assert len(cached_app.state.verified_keys) == 1


def principal(expires_at: datetime | None = None) -> Principal:
    return Principal(
        organisation_id=uuid.uuid4(), key_id="k", scopes=frozenset(), expires_at=expires_at
    )


def test_a_kept_key_is_never_used_past_its_own_expiry(clocks: Clocks) -> None:
    verified = VerifiedKeys(TTL, clock=lambda: clocks.monotonic, now=lambda: clocks.wall)
    verified.put("digest", principal(expires_at=clocks.wall + timedelta(seconds=5)))
    clocks.advance(4.9)
    before = verified.get("digest")
    clocks.advance(0.1)

    assert before is not None
    assert verified.get("digest") is None


def test_zero_seconds_keeps_nothing() -> None:
    verified = VerifiedKeys(0)
    verified.put("digest", principal())

    assert verified.get("digest") is None
    assert len(verified) == 0


def test_entries_are_bounded_in_number_the_longest_kept_going_first() -> None:
    verified = VerifiedKeys(TTL, max_entries=2)
    for digest in ("a", "b", "c"):
        verified.put(digest, principal())

    assert len(verified) == 2
    assert verified.get("a") is None
    assert verified.get("c") is not None
