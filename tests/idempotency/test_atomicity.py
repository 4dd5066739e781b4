"""A write and its idempotency record commit together, once, before the response is sent.

These run the app as deployed (its own session dependency, no test transaction) on a database
of the test's own, and make the request fail after the entity is written: in the idempotency
step just before the commit, or in the database's COMMIT itself.
"""

from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from app.core.errors import Conflict
from app.http.dependencies import _finish as finish_unit_of_work
from app.idempotency import service as idempotency
from app.main import create_app
from app.patients import service as patients_service
from tests.conftest import app_settings, committed_key
from tests.idempotency.conftest import CREATES, Create, count_rows, create_target


class InjectedFault(RuntimeError):
    """The failure a test injects; the app sees an unexpected error (a 500)."""


@pytest.fixture
def raw_client(committing_engine: Engine) -> Iterator[TestClient]:
    """The app with its own session dependency, answering 500s instead of raising them."""
    app = create_app(app_settings(committing_engine), engine=committing_engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {committed_key(committing_engine)}"
        yield client


def fail_once() -> Callable[..., None]:
    calls: list[int] = []

    def fail(*_args: Any, **_kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise InjectedFault("the database went away")

    return fail


@pytest.fixture
def failing_before_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Storing the response fails once: after the entity is written, before the commit."""
    fail, real = fail_once(), idempotency.complete

    def complete(*args: Any, **kwargs: Any) -> None:
        fail()
        real(*args, **kwargs)

    monkeypatch.setattr(idempotency, "complete", complete)


@pytest.fixture
def failing_commit(committing_engine: Engine) -> Iterator[Callable[[], None]]:
    """Arms a fault in the database's COMMIT, for the next commit only."""
    listeners: list[Callable[..., None]] = []

    def arm() -> None:
        listeners.append(fail_once())
        event.listen(committing_engine, "commit", listeners[-1])

    yield arm
    for listener in listeners:
        event.remove(committing_engine, "commit", listener)


def _post(client: TestClient, target: str, create: Create, key: str | None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(target, json=create.body, headers=headers)


@pytest.mark.usefixtures("failing_before_commit")
@pytest.mark.parametrize("create", CREATES.values(), ids=CREATES.keys())
def test_a_failure_before_the_commit_leaves_nothing_and_the_retry_creates_one(
    raw_client: TestClient, committing_engine: Engine, create: Create
) -> None:
    target = create_target(raw_client, create, {})
    before = count_rows(committing_engine, create.table)

    failed = _post(raw_client, target, create, "fault-1")
    assert failed.status_code == 500
    assert count_rows(committing_engine, create.table) == before
    assert count_rows(committing_engine, "idempotency_record") == 0

    retried = _post(raw_client, target, create, "fault-1")
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    replayed = _post(raw_client, target, create, "fault-1")
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == retried.content
    assert count_rows(committing_engine, create.table) == before + 1


@pytest.mark.parametrize("create", CREATES.values(), ids=CREATES.keys())
@pytest.mark.parametrize("key", ["fault-2", None], ids=["keyed", "unkeyed"])
def test_a_failed_commit_is_never_answered_with_a_201(
    raw_client: TestClient,
    committing_engine: Engine,
    failing_commit: Callable[[], None],
    create: Create,
    key: str | None,
) -> None:
    """The commit runs before the response is sent, so its failure is the response."""
    target = create_target(raw_client, create, {})
    before = count_rows(committing_engine, create.table)
    failing_commit()

    failed = _post(raw_client, target, create, key)
    assert failed.status_code == 500
    assert count_rows(committing_engine, create.table) == before
    assert count_rows(committing_engine, "idempotency_record") == 0

    assert _post(raw_client, target, create, key).status_code == 201
    assert count_rows(committing_engine, create.table) == before + 1


def test_a_201_is_sent_only_once_the_write_is_committed(
    raw_client: TestClient, committing_engine: Engine
) -> None:
    created = raw_client.post("/v1/patients", json={"external_reference": "KEPT"})
    assert created.status_code == 201
    # Read on another connection: nothing of the request is left to run after the response.
    assert count_rows(committing_engine, "patient") == 1


def test_failed_commits_leave_updates_erasures_and_status_changes_undone(
    raw_client: TestClient, committing_engine: Engine, failing_commit: Callable[[], None]
) -> None:
    plans = create_target(raw_client, CREATES["plan"], {})
    plan = raw_client.post(plans, json=CREATES["plan"].body).headers["location"]
    patient = plans.removesuffix("/plans")
    writes: list[Callable[[], Any]] = [
        lambda: raw_client.patch(plan, json={"status": "paused"}, headers={"If-Match": '"v1"'}),
        lambda: raw_client.patch(
            patient, json={"external_reference": "NEW"}, headers={"If-Match": '"v1"'}
        ),
        lambda: raw_client.delete(patient),
    ]
    for write in writes:
        failing_commit()
        assert write().status_code == 500
    assert raw_client.get(patient).json()["external_reference"] == "OWNER"
    assert raw_client.get(plan).json()["status"] == "active"
    assert [write().status_code for write in writes] == [200, 200, 204]  # once commits work
    assert count_rows(committing_engine, "patient") == 0


@pytest.mark.parametrize("idempotency_key", [None, "k-refused"])
def test_a_create_refused_after_writing_keeps_none_of_its_writes(
    raw_client: TestClient,
    committing_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    idempotency_key: str | None,
) -> None:
    """A refusal raised after the work has written undoes the writes: inside a savepoint when
    the key's record must stay to replay the refusal, with the whole transaction otherwise."""
    real = patients_service.create_patient

    def written_then_refused(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Conflict("Refused after writing.")

    monkeypatch.setattr(patients_service, "create_patient", written_then_refused)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    before = count_rows(committing_engine, "patient")

    refused = raw_client.post("/v1/patients", json={"external_reference": "R-1"}, headers=headers)

    assert refused.status_code == 409
    assert count_rows(committing_engine, "patient") == before
    assert count_rows(committing_engine, "idempotency_record") == (1 if idempotency_key else 0)


@pytest.mark.parametrize("create", CREATES.values(), ids=CREATES.keys())
@pytest.mark.parametrize("key", ["one-hop", None], ids=["keyed", "unkeyed"])
def test_a_create_commits_in_the_thread_its_endpoint_runs_in(
    raw_client: TestClient, create: Create, key: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoint ends its unit of work as its last act, in its own thread: the session
    dependency's end has nothing left to do, and takes no hop of its own to the thread pool."""
    target = create_target(raw_client, create, {})
    hops: list[object] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        hops.append(function)
        return await run_sync(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    assert _post(raw_client, target, create, key).status_code == 201
    assert hops, "the endpoint runs in the thread pool"
    assert [hop for hop in hops if getattr(hop, "func", hop) is finish_unit_of_work] == []
