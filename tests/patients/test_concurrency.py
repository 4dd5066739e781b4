"""Races over a real socket and real commits: stale ETags and retried creates.

These use their own freshly migrated database (not the rolled-back test transaction), because
racing requests must commit for real and see each other's commits.
"""

import concurrent.futures
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.catalogue.content import Content
from app.main import create_app
from app.tenants import service as tenants
from app.tenants.keys import KeyKind, Scope
from tests.conftest import TEST_KEY_SECRET, app_settings, catalogue_database
from tests.live_server import serve

RACERS = 8


@pytest.fixture
def racing_engine(backend: str, tmp_path: Path, content: Content) -> Iterator[Engine]:
    with catalogue_database(backend, tmp_path, content) as engine:
        yield engine


@pytest.fixture
def served(racing_engine: Engine) -> Iterator[tuple[str, dict[str, str]]]:
    with Session(racing_engine) as session:
        organisation = tenants.create_organisation(session, "Racing Clinic")
        key = tenants.create_key(
            session,
            organisation_id=organisation.id,
            scopes=list(Scope),
            secret=TEST_KEY_SECRET.encode(),
            kind=KeyKind.test,
        ).plaintext
    with serve(create_app(app_settings(racing_engine), engine=racing_engine)) as url:
        yield url, {"Authorization": f"Bearer {key}"}


def _race(calls: list[Any]) -> list[httpx.Response]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=60) for future in futures]


def test_of_racing_updates_with_one_etag_exactly_one_wins(
    served: tuple[str, dict[str, str]],
) -> None:
    url, auth = served
    with httpx.Client(base_url=url, headers=auth, timeout=30) as client:
        patient = client.post("/v1/patients", json={"external_reference": "RACE"}).json()
        target = f"/v1/patients/{patient['id']}"

        def update(n: int) -> Any:
            return lambda: client.patch(
                target, json={"external_reference": f"RACE-{n}"}, headers={"If-Match": '"v1"'}
            )

        responses = _race([update(n) for n in range(RACERS)])
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [412] * (RACERS - 1)
        winner = next(r for r in responses if r.status_code == 200).json()
        final = client.get(target)
        assert final.headers["etag"] == '"v2"'
        assert final.json()["external_reference"] == winner["external_reference"]


def test_racing_retries_with_one_idempotency_key_create_one_patient(
    served: tuple[str, dict[str, str]],
) -> None:
    url, auth = served
    with httpx.Client(base_url=url, headers=auth, timeout=30) as client:

        def create() -> httpx.Response:
            return client.post(
                "/v1/patients",
                json={"external_reference": "ONCE"},
                headers={"Idempotency-Key": "retry-storm-1"},
            )

        responses = _race([create for _ in range(RACERS)])
        # Each is the one create, its replay, or "still in progress, retry" - never a second
        # patient and never a duplicate-reference error.
        assert {r.status_code for r in responses} <= {201, 409}
        created = [r for r in responses if r.status_code == 201]
        assert len({r.json()["id"] for r in created}) == 1
        for conflict in (r for r in responses if r.status_code == 409):
            assert conflict.json()["code"] == "idempotency_key_in_progress"
        listed = client.get("/v1/patients").json()["items"]
        assert [patient["external_reference"] for patient in listed] == ["ONCE"]
        assert create().headers["idempotent-replayed"] == "true"
