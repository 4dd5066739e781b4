"""Retries racing over a real socket with real commits: one Idempotency-Key, one record.

Each racer's request runs in a transaction of its own, on a database of the test's own
(``live_app``). The first writer is slowed between its write and its commit, so the others
arrive while its claim is uncommitted: on PostgreSQL they wait on the key's unique index, on
SQLite on the write lock, and then replay its response.
"""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
from sqlmodel import Session, select

from app.core.db import utc_now
from app.idempotency.models import IdempotencyRecord
from app.patients import service as patients
from app.tenants.models import Organisation
from tests.conftest import LiveApp
from tests.idempotency.conftest import CREATES, Create, count_rows, create_target
from tests.patients.test_concurrency import RACERS, race


@pytest.fixture
def slow_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every create sleeps after writing, before its request commits."""
    for create in CREATES.values():
        real: Callable[..., Any] = getattr(patients, create.service_function)

        def slowed(*args: Any, _real: Callable[..., Any] = real, **kwargs: Any) -> Any:
            written = _real(*args, **kwargs)
            time.sleep(0.3)
            return written

        monkeypatch.setattr(patients, create.service_function, slowed)


def _retry_storm(live_app: LiveApp, create: Create, key: str) -> list[httpx.Response]:
    with httpx.Client(base_url=live_app.url, headers=live_app.headers, timeout=30) as client:
        target = create_target(client, create, live_app.headers)
        before = count_rows(live_app.engine, create.table)

        def retry() -> httpx.Response:
            return client.post(target, json=create.body, headers={"Idempotency-Key": key})

        responses = race([retry for _ in range(RACERS)])
        assert count_rows(live_app.engine, create.table) == before + 1
        return responses


def _one_create_and_its_replays(responses: list[httpx.Response]) -> None:
    assert [r.status_code for r in responses] == [201] * RACERS, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert len(replayed) == RACERS - 1


@pytest.mark.usefixtures("slow_writes")
@pytest.mark.parametrize("create", CREATES.values(), ids=CREATES.keys())
def test_racing_retries_of_one_key_create_one_record(live_app: LiveApp, create: Create) -> None:
    _one_create_and_its_replays(_retry_storm(live_app, create, f"storm-{create.table}"))
    assert count_rows(live_app.engine, "idempotency_record") == 1


@pytest.mark.usefixtures("slow_writes")
def test_racing_retries_take_over_a_claim_left_without_its_response(live_app: LiveApp) -> None:
    """A claim committed without its response (as versions before this one did) is void:
    exactly one racer replaces it and creates; the others replay."""
    with Session(live_app.engine) as session:
        session.add(
            IdempotencyRecord(
                organisation_id=session.exec(select(Organisation.id)).one(),
                key="abandoned",
                fingerprint="0" * 64,
                expires_at=utc_now() + timedelta(hours=1),
            )
        )
        session.commit()
    _one_create_and_its_replays(_retry_storm(live_app, CREATES["patient"], "abandoned"))
    assert count_rows(live_app.engine, "idempotency_record") == 1
