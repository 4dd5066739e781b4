"""The application factory: a worker started while the database restarts waits for it (a
bounded time) instead of failing, which would make uvicorn stop every worker; the background
purge of expired idempotency records commits."""

import gc
from datetime import timedelta
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.trace import NoOpTracer, Tracer, TracerProvider
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app import main
from app.catalogue.service import CatalogueCache
from app.core.db import utc_now
from app.idempotency.models import IdempotencyRecord
from app.tenants import service as tenants
from tests.conftest import app_settings


def _database_down_for(calls: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The first ``calls`` catalogue loads find the database down."""
    attempts: list[int] = []

    def load(*args: Any, **kwargs: Any) -> CatalogueCache:
        attempts.append(1)
        if len(attempts) <= calls:
            raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))
        return CatalogueCache(*args, **kwargs)

    monkeypatch.setattr(main, "CatalogueCache", load)
    return attempts


def test_start_up_waits_for_a_database_that_is_restarting(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = _database_down_for(1, monkeypatch)
    with TestClient(main.create_app(app_settings(engine), engine=engine)) as client:
        assert client.get("/readyz").status_code == 200
    assert len(attempts) == 2


def test_start_up_fails_when_the_database_stays_down(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _database_down_for(10**6, monkeypatch)
    monkeypatch.setattr(main, "STARTUP_DATABASE_WAIT_SECONDS", 0.0)
    with (
        pytest.raises(OperationalError),
        TestClient(main.create_app(app_settings(engine), engine=engine)),
    ):
        pass


def test_the_purge_job_commits_its_deletions(committing_engine: Engine) -> None:
    with Session(committing_engine) as session:
        organisation = tenants.create_organisation(session, "Purged")
        for key, expires in [("expired", utc_now()), ("current", utc_now() + timedelta(days=1))]:
            session.add(
                IdempotencyRecord(
                    organisation_id=organisation.id, key=key, fingerprint="0", expires_at=expires
                )
            )
        session.commit()
    main._purge_idempotency_records(committing_engine)
    with Session(committing_engine) as session:
        assert session.exec(select(IdempotencyRecord.key)).all() == ["current"]


def test_what_a_worker_loads_at_start_up_is_out_of_the_collectors_sight_while_it_serves(
    app: FastAPI,
) -> None:
    """A full collection walked it on every run (65 ms, a pause for every request in flight);
    frozen, it walks only what requests made. A process that goes on after the app stops
    collects it again."""
    with TestClient(app):
        assert gc.get_freeze_count() > 10_000  # the app's own models alone are thousands
    assert gc.get_freeze_count() == 0


def test_a_new_dataset_gives_the_old_one_back_to_the_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Frozen objects are never collected: after a refresh that replaced the dataset, what is
    frozen is frozen again, so the old dataset's cycles can be collected."""
    refrozen: list[int] = []
    monkeypatch.setattr(main, "_freeze_what_is_loaded", lambda: refrozen.append(1))

    class Refreshing:
        def __init__(self, replaced: bool) -> None:
            self.replaced = replaced

        def refresh(self) -> bool:
            return self.replaced

    main._refresh(cast(CatalogueCache, Refreshing(replaced=False)))
    assert refrozen == []
    main._refresh(cast(CatalogueCache, Refreshing(replaced=True)))
    assert refrozen == [1]


class RecordingTracerProvider(TracerProvider):
    """A configured provider (neither the API's placeholder nor its no-op) that records who
    asks it for a tracer."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_tracer(self, instrumenting_module_name: str, *args: Any, **kwargs: Any) -> Tracer:
        self.asked.append(instrumenting_module_name)
        return NoOpTracer()


@pytest.mark.parametrize("opentelemetry", [True, False])
def test_fastapis_opentelemetry_traces_requests_only_when_turned_on(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, opentelemetry: bool
) -> None:
    """Off by default: without an SDK FastAPI emits nothing, yet looks for a configured
    provider on every request."""
    provider = RecordingTracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    settings = app_settings(engine, opentelemetry=opentelemetry)
    with TestClient(main.create_app(settings, engine=engine)) as client:
        assert client.get("/v1/exercises?limit=1").status_code == 200
    assert bool(provider.asked) is opentelemetry
