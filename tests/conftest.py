"""Shared fixtures: a migrated database per backend, one transaction per test, and a client.

The suite runs on SQLite always and on PostgreSQL when ``TEST_DATABASE_URL`` is set (``.ci/run``
sets it). Each backend gets a fresh database of its own, never the development one; migrations
run once, the catalogue is loaded once, and every test runs inside a transaction that is
rolled back, so tests cannot see each other's writes.
"""

import contextlib
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, Executable, Row, make_url, text
from sqlmodel import Session

from app.catalogue.content import Content, load_content
from app.catalogue.service import load_catalogue
from app.core.config import PROJECT_ROOT, Settings
from app.core.db import make_engine
from app.http.dependencies import end_unit_of_work, ends_with, get_session, writes_discarded
from app.main import create_app
from app.tenants import service as tenants
from app.tenants.keys import KeyKind, Scope
from tests.live_server import serve

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Schemathesis runs take longest: they start first, so that parallel workers
    (``make test`` runs pytest-xdist) are not left waiting on them at the end."""
    items.sort(key=lambda item: item.path.name != "test_schemathesis.py")


def require(condition: bool, reason: str) -> None:
    """Skip locally when a dependency is missing; under CI the same gap is a failure."""
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI must run everything)")
        pytest.skip(reason)


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    return config


@contextlib.contextmanager
def empty_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """A new, empty database on ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'{uuid.uuid4().hex}.db'}"
        return
    require(POSTGRES_URL is not None, "TEST_DATABASE_URL is not set")
    assert POSTGRES_URL is not None
    name = f"hipspine_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.contextmanager
def catalogue_database(backend: str, tmp_dir: Path, content: Content) -> Iterator[Engine]:
    """A fresh database on ``backend``, migrated to head, with the catalogue loaded."""
    with empty_database(backend, tmp_dir) as url:
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        with Session(engine) as session:
            load_catalogue(session=session, content=content)
        try:
            yield engine
        finally:
            engine.dispose()


TEST_KEY_SECRET = "test-server-secret-for-api-key-hashes-0123456789"


def app_settings(engine: Engine, **overrides: object) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return Settings.model_validate(
        {
            "database_url": url,
            "catalogue_refresh_seconds": 0,
            "api_key_secret": TEST_KEY_SECRET,
            # The whole suite calls from one address; the rate-limit tests set their own limits.
            "rate_limit_per_minute": 1_000_000,
            "anonymous_rate_limit_per_minute": 1_000_000,
            "redis_url": None,
            # Tests revoke and expire keys and expect it at once; tests/tenants cover the cache.
            "api_key_cache_seconds": 0,
            **overrides,
        }
    )


@pytest.fixture(scope="session")
def engine(
    backend: str, tmp_path_factory: pytest.TempPathFactory, content: Content
) -> Iterator[Engine]:
    with catalogue_database(backend, tmp_path_factory.mktemp(backend), content) as engine:
        yield engine


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits become savepoints inside the test's transaction."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session


@pytest.fixture(scope="session")
def app(engine: Engine) -> FastAPI:
    return create_app(app_settings(engine), engine=engine)


class SessionReads:
    """``app.core.db.Reads`` inside the test's transaction, which its own connections could
    not see (tests/core/test_reads.py covers the real one)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def first(
        self, statement: Executable, parameters: Mapping[str, object]
    ) -> Row[Any] | None:
        return self._session.connection().execute(statement, parameters).first()


@contextlib.contextmanager
def served_in_test_transaction(
    app: FastAPI, session: Session, **client_options: Any
) -> Iterator[TestClient]:
    """``app`` behind a test client, its requests in the test's transaction: each unit of work
    a savepoint, released when the request succeeds and rolled back when it fails (as the real
    session dependency commits or rolls back), and the reads outside one on the same
    connection. What the test itself wrote is never disturbed."""

    def request_session() -> Iterator[Session]:
        unit_of_work = session.begin_nested()

        def end(_: Session) -> None:
            if writes_discarded(session):
                unit_of_work.rollback()
            else:
                unit_of_work.commit()
            session.expire_all()  # as the real end's close leaves nothing loaded

        ends_with(session, end)
        try:
            yield session
        except BaseException:
            if unit_of_work.is_active:
                unit_of_work.rollback()
            raise
        end_unit_of_work(session)  # unless the endpoint ended it

    overrides = dict(app.dependency_overrides)
    app.dependency_overrides[get_session] = request_session
    try:
        with TestClient(app, **client_options) as test_client:
            app.state.reads = SessionReads(session)  # after start-up, which sets the real one
            yield test_client
    finally:
        app.dependency_overrides = overrides  # as they were: test clients may nest


@pytest.fixture
def client(app: FastAPI, session: Session) -> Iterator[TestClient]:
    with served_in_test_transaction(app, session) as test_client:
        yield test_client


# --- real commits ------------------------------------------------------------------------------


@pytest.fixture
def committing_engine(backend: str, tmp_path: Path, content: Content) -> Iterator[Engine]:
    """A database of the test's own, migrated, with the catalogue: for tests whose requests
    must commit for real and see each other's commits (not the rolled-back test transaction)."""
    with catalogue_database(backend, tmp_path, content) as engine:
        yield engine


def committed_key(engine: Engine, organisation: str = "Committing Clinic") -> str:
    """An all-scopes key of a new organisation, committed."""
    with Session(engine) as session:
        created = tenants.create_organisation(session, organisation)
        key = tenants.create_key(
            session,
            organisation_id=created.id,
            scopes=list(Scope),
            secret=TEST_KEY_SECRET.encode(),
            kind=KeyKind.test,
        ).plaintext
        session.commit()
    return key


@dataclass(frozen=True)
class LiveApp:
    """The app behind a real socket, on its own database, with a key."""

    url: str
    headers: dict[str, str]
    engine: Engine


@pytest.fixture
def live_app(committing_engine: Engine) -> Iterator[LiveApp]:
    key = committed_key(committing_engine)
    app = create_app(app_settings(committing_engine), engine=committing_engine)
    with serve(app) as url:
        yield LiveApp(url, {"Authorization": f"Bearer {key}"}, committing_engine)
