"""A database that is down, lost mid-request or out of connections is a 503 with Retry-After,
logged as one warning, never a 500 with a traceback per request; nothing is written, and the
API is back when the database is.

The PostgreSQL cases run the app through a TCP relay in front of the shared server (see
``tests/proxy.py``): cutting the relay is what the app sees when the server stops, without
stopping the server the other tests use.
"""

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from app.catalogue.content import Content
from app.core.db import make_engine
from app.core.logging import Throttle
from app.http import problems
from app.http.middleware import RequestContextMiddleware
from app.main import create_app
from app.tenants import service as tenants
from app.tenants.keys import KeyKind, Scope
from tests.conftest import TEST_KEY_SECRET, app_settings, catalogue_database
from tests.proxy import TcpProxy

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(autouse=True)
def fresh_warning_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-a-minute warning is per process; each test starts with none given yet."""
    monkeypatch.setattr(problems, "_database_warning", Throttle(60))


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["retry-after"] == str(problems.DATABASE_RETRY_AFTER_SECONDS)
    problem = response.json()
    assert problem["code"] == "database_unavailable"
    assert problem["request_id"] == response.headers["x-request-id"]
    assert "Error" not in problem["detail"]  # no exception text


def assert_logged_once_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    warnings = [r for r in caplog.records if r.name == "app.database"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert warnings[0].exc_info is None


# --- which errors are an outage ----------------------------------------------------------------


def _dbapi(kind: type[Exception], *, invalidated: bool = False) -> Exception:
    return kind("SELECT 1", {}, Exception("driver says no"), connection_invalidated=invalidated)  # type: ignore[call-arg]


def _raised_while_handling(first: Exception, second: Exception) -> Exception:
    try:
        try:
            raise first
        except Exception:
            raise second  # noqa: B904 (the implicit context is the point)
    except Exception as chained:
        return chained


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (_dbapi(OperationalError), True),
        (PoolTimeout("QueuePool limit reached"), True),
        (_dbapi(InterfaceError, invalidated=True), True),
        (_dbapi(InterfaceError), False),
        (_dbapi(IntegrityError), False),
        (_dbapi(ProgrammingError), False),
        (RuntimeError("a bug"), False),
        # Cleanup after a lost connection fails in turn: the outage is in the chain.
        (_raised_while_handling(_dbapi(OperationalError), PendingRollbackError("x")), True),
        (_raised_while_handling(RuntimeError("a bug"), PendingRollbackError("x")), False),
    ],
)
def test_which_errors_mean_the_database_is_unavailable(error: Exception, outage: bool) -> None:
    assert problems.database_unavailable(error) is outage


def test_an_outage_that_escapes_the_app_is_a_503_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Raised where no exception handler runs (a middleware, say), the request context still
    answers 503, not 500."""

    async def app(scope: object, receive: object, send: object) -> None:
        raise _dbapi(OperationalError)

    wrapped = RequestContextMiddleware(
        app, max_body_bytes=1024, max_header_bytes=4096, max_header_count=50, access_log=False
    )
    with caplog.at_level(logging.WARNING):
        response = TestClient(wrapped).get("/anything")

    assert_unavailable(response)
    assert_logged_once_as_a_warning(caplog)


# --- an exhausted pool, on either backend ------------------------------------------------------
# The apps are made in fixtures: making one configures logging, which replaces the handlers a
# test's caplog installed.


@pytest.fixture
def small_pool(committing_engine: Engine) -> Iterator[tuple[FastAPI, Engine, str]]:
    """The app on an engine with one connection, given up after 0.2 s of waiting, and a key."""
    url = committing_engine.url.render_as_string(hide_password=False)
    small = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        app = create_app(app_settings(committing_engine), engine=small)
        yield app, small, _key(committing_engine)
    finally:
        small.dispose()


def test_an_exhausted_pool_is_a_503_and_recovers(
    small_pool: tuple[FastAPI, Engine, str], caplog: pytest.LogCaptureFixture
) -> None:
    app, small, key = small_pool
    with TestClient(app) as client:
        with small.connect(), caplog.at_level(logging.WARNING):  # the only connection
            responses = [client.get("/v1/patients", headers={"X-API-Key": key}) for _ in range(3)]
        recovered = client.get("/v1/patients", headers={"X-API-Key": key})

    for response in responses:
        assert_unavailable(response)
    assert_logged_once_as_a_warning(caplog)
    assert recovered.status_code == 200


# --- PostgreSQL going away ---------------------------------------------------------------------


class Relayed(NamedTuple):
    proxy: TcpProxy
    app: FastAPI
    direct: Engine
    """Straight to the server: the test's own look at what was written."""


@pytest.fixture
def relayed(tmp_path: Path, content: Content) -> Iterator[Relayed]:
    """A fresh, loaded PostgreSQL database, and the app reaching it through a relay. The app has
    one more route, which loses its connection between two statements."""
    with catalogue_database("postgresql", tmp_path, content) as direct:
        url = make_url(direct.url.render_as_string(hide_password=False))
        with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
            through = make_engine(
                url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            )
            app = create_app(app_settings(through), engine=through)

            @app.get("/lost-mid-request", tags=["health"])
            def lost_mid_request(request: Request) -> None:
                with Session(request.app.state.engine) as session:
                    session.execute(text("SELECT 1"))
                    proxy.cut()  # the server goes away between two statements
                    session.execute(text("SELECT 1"))

            try:
                yield Relayed(proxy, app, direct)
            finally:
                through.dispose()


def _key(engine: Engine) -> str:
    with Session(engine) as session:
        organisation = tenants.create_organisation(session, "Outage Clinic")
        issued = tenants.create_key(
            session,
            organisation_id=organisation.id,
            scopes=list(Scope),
            secret=TEST_KEY_SECRET.encode(),
            kind=KeyKind.test,
        )
        session.commit()
    return issued.plaintext


def _patients(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM patient")).scalar_one())


def test_postgres_stopping_is_a_503_writes_nothing_and_the_api_comes_back(
    relayed: Relayed, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Authorization": f"Bearer {_key(relayed.direct)}"}
    body = {"external_reference": "OUT-1"}
    retry_safely = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    with TestClient(relayed.app) as client:
        assert client.get("/v1/patients", headers=headers).status_code == 200

        relayed.proxy.cut()  # the pooled connection is lost; new ones are refused
        with caplog.at_level(logging.WARNING):
            down = [
                client.get("/v1/patients", headers=headers),
                client.post("/v1/patients", json=body, headers=headers),
                client.post("/v1/patients", json=body, headers=retry_safely),
                client.get(f"/v1/patients/{uuid.uuid4()}", headers=headers),
            ]
        ready = client.get("/readyz")

        relayed.proxy.restore()
        back = client.post("/v1/patients", json=body, headers=retry_safely)

    for response in down:
        assert_unavailable(response)
    assert_logged_once_as_a_warning(caplog)
    assert ready.status_code == 503
    # The idempotent retry after the outage creates the patient: nothing was written, and no
    # half-taken key was left to block it.
    assert back.status_code == 201, back.text
    assert _patients(relayed.direct) == 1


def test_after_a_restart_no_request_fails_on_a_pooled_connection_the_server_closed(
    relayed: Relayed,
) -> None:
    """The pool finds the connections the server closed at checkout, without a round trip,
    and connects afresh: the first requests after the database is back succeed."""
    headers = {"Authorization": f"Bearer {_key(relayed.direct)}"}
    with TestClient(relayed.app) as client:
        before = [client.get("/v1/patients", headers=headers) for _ in range(3)]
        relayed.proxy.cut()  # every pooled connection is closed, as by a restart
        relayed.proxy.restore()
        after = [
            client.get("/v1/patients", headers=headers),
            client.post("/v1/patients", json={"external_reference": "BACK"}, headers=headers),
            client.get("/readyz"),
        ]

    assert [r.status_code for r in before] == [200] * 3
    assert [r.status_code for r in after] == [200, 201, 200], [r.text for r in after]


def test_a_connection_lost_mid_request_is_a_503(
    relayed: Relayed, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(relayed.app) as client, caplog.at_level(logging.WARNING):
        response = client.get("/lost-mid-request")

    assert_unavailable(response)
    assert_logged_once_as_a_warning(caplog)
