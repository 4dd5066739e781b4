"""Rate limits in the assembled app: per address on public routes, per key on patient routes,
shared between workers through Redis."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.main import create_app
from tests.conftest import app_settings, require, served_in_test_transaction
from tests.patients.conftest import Tenant, issue_key
from tests.rate_limits.conftest import REDIS_URL, redis_reachable

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def limited_client(engine: Engine, session: Session) -> Iterator[ClientFactory]:
    """Apps of their own (as separate workers would be) with low limits, on the test's session."""
    with ExitStack() as stack:

        def make(**limits: object) -> TestClient:
            app = create_app(app_settings(engine, **limits), engine=engine)
            return stack.enter_context(served_in_test_transaction(app, session))

        yield make


def test_public_routes_are_limited_per_address(limited_client: ClientFactory) -> None:
    client = limited_client(anonymous_rate_limit_per_minute=2)
    first = client.get("/v1/exercises")
    assert first.headers["ratelimit-limit"] == "2"
    assert first.headers["ratelimit-remaining"] == "1"
    assert client.get("/v1/catalogue").status_code == 200
    refused = client.get("/v1/exercises")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-request-id"]
    assert client.get("/healthz").status_code == 200
    assert "ratelimit-limit" not in client.get("/readyz").headers


def test_patient_routes_are_limited_per_key(
    limited_client: ClientFactory, clinic: Tenant, session: Session
) -> None:
    client = limited_client(rate_limit_per_minute=3, anonymous_rate_limit_per_minute=100)
    for remaining in ("2", "1", "0"):
        response = client.get("/v1/patients", headers=clinic.headers())
        assert response.status_code == 200
        assert response.headers["ratelimit-remaining"] == remaining
    refused = client.get("/v1/patients", headers=clinic.headers())
    assert refused.status_code == 429
    assert refused.headers["retry-after"]
    # Another key has its own allowance, even in the same organisation.
    other_key = issue_key(session, clinic.organisation_id)
    fresh = client.get("/v1/patients", headers={"Authorization": f"Bearer {other_key}"})
    assert fresh.status_code == 200


def test_failed_authentications_count_against_the_address(
    limited_client: ClientFactory,
) -> None:
    client = limited_client(anonymous_rate_limit_per_minute=2)
    guesses = [
        client.get("/v1/patients", headers={"X-API-Key": f"hs_live_{n:012x}_{'a' * 40}"})
        for n in range(3)
    ]
    assert [r.status_code for r in guesses] == [401, 401, 429]


def test_paths_under_patients_that_no_route_serves_are_limited_too(
    limited_client: ClientFactory,
) -> None:
    """No route, no auth dependency: these were once never counted at all."""
    client = limited_client(anonymous_rate_limit_per_minute=2)
    statuses = [
        client.get("/v1/patients/anything/at/all").status_code,
        client.put("/v1/patients").status_code,
        client.get("/v1/patients/x/unknown").status_code,
    ]
    assert statuses == [404, 405, 429]


def test_workers_share_one_limit_through_redis(
    limited_client: ClientFactory, clinic: Tenant
) -> None:
    require(redis_reachable(), "Redis is not reachable")
    workers = [limited_client(rate_limit_per_minute=3, redis_url=REDIS_URL) for _ in range(2)]
    statuses = [
        workers[n % 2].get("/v1/patients", headers=clinic.headers()).status_code for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
