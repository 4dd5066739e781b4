"""``Reads``: single statements outside a unit of work, on connections of their own. They see
what others committed, on either backend; on PostgreSQL no thread is involved."""

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Float, String, bindparam, func, select, text
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from app.catalogue.content import Content
from app.core import db
from app.core.db import Reads
from app.http import problems
from app.patients import service as patients
from app.patients.schemas import PatientCreate
from app.tenants import service as tenants
from app.tenants.models import Organisation
from tests.conftest import TEST_KEY_SECRET, catalogue_database, committed_key

_ORGANISATION_BY_ID = select(Organisation.__table__).where(  # type: ignore[attr-defined]
    Organisation.__table__.c.id == bindparam("id")  # type: ignore[attr-defined]
)


def _committed_organisation(engine: Engine) -> uuid.UUID:
    with Session(engine) as session:
        organisation = tenants.create_organisation(session, "Reads Clinic")
        session.commit()
        return organisation.id


async def _read_twice(engine: Engine, present: uuid.UUID) -> tuple[object, object]:
    reads = Reads(engine)
    try:
        found = await reads.first(_ORGANISATION_BY_ID, {"id": present})
        missing = await reads.first(_ORGANISATION_BY_ID, {"id": uuid.uuid4()})
        return found, missing
    finally:
        await reads.dispose()


def _read_once(engine: Engine, statement: Any, parameters: dict[str, object]) -> object:
    """One read through a ``Reads`` of its own, disposed of afterwards."""

    async def read() -> object:
        reads = Reads(engine)
        try:
            return await reads.first(statement, parameters)
        finally:
            await reads.dispose()

    return asyncio.run(read())


def test_reads_see_committed_rows_and_return_none_for_missing_ones(
    committing_engine: Engine,
) -> None:
    organisation_id = _committed_organisation(committing_engine)
    found, missing = asyncio.run(_read_twice(committing_engine, organisation_id))
    assert found is not None
    assert found.id == organisation_id  # type: ignore[attr-defined]
    assert found.name == "Reads Clinic"  # type: ignore[attr-defined]
    assert found.created_at.tzinfo is UTC  # type: ignore[attr-defined]  # as UtcDateTime reads
    assert missing is None


def test_parameters_go_through_their_column_types_and_come_only_from_the_caller(
    committing_engine: Engine,
) -> None:
    """As through SQLAlchemy: ``UtcDateTime`` refuses a naive datetime. A statement that
    holds a value of its own (``.limit(1)``) is refused on either backend."""
    created_before = select(Organisation.__table__).where(  # type: ignore[attr-defined]
        Organisation.__table__.c.created_at < bindparam("at")  # type: ignore[attr-defined]
    )

    assert _read_once(committing_engine, created_before, {"at": datetime.now(UTC)}) is None
    with pytest.raises((ValueError, StatementError), match="naive datetime"):
        _read_once(committing_engine, created_before, {"at": datetime.now()})
    with pytest.raises(ValueError, match="every parameter from the caller"):
        _read_once(committing_engine, _ORGANISATION_BY_ID.limit(1), {"id": uuid.uuid4()})


def test_reads_take_a_thread_only_where_the_driver_blocks(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's calls block, so there a read runs in a worker thread; on PostgreSQL it runs on
    the event loop (asyncpg)."""
    threads: list[object] = []
    to_thread = asyncio.to_thread

    async def counted(function: Callable[..., object], /, *args: object) -> object:
        threads.append(function)
        return await to_thread(function, *args)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    organisation_id = _committed_organisation(committing_engine)
    found, _ = asyncio.run(_read_twice(committing_engine, organisation_id))
    assert found is not None
    assert len(threads) == (0 if committing_engine.dialect.name == "postgresql" else 2)


# --- PostgreSQL: the connections Reads keeps ---------------------------------------------------

_SLEEP = select(func.pg_sleep(bindparam("seconds", type_=Float)).label("slept"))


@pytest.fixture
def postgres(tmp_path: Path, content: Content) -> Iterator[Engine]:
    with catalogue_database("postgresql", tmp_path, content) as engine:
        yield engine


def test_a_read_cancelled_half_way_does_not_hold_up_or_break_the_next(
    postgres: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that goes away mid-read cancels it; the next read, on the same single place,
    gets an answer at once, and the server is not left running the cancelled statement."""
    organisation_id = _committed_organisation(postgres)

    async def cancel_then_read() -> object:
        monkeypatch.setattr(db, "READ_POOL_SIZE", 1)
        reads = Reads(postgres)
        try:
            sleeping = asyncio.create_task(reads.first(_SLEEP, {"seconds": 5}))
            await asyncio.sleep(0.3)
            sleeping.cancel()
            with pytest.raises(asyncio.CancelledError):
                await sleeping
            async with asyncio.timeout(2):  # not stuck behind the cancelled query
                return await reads.first(_ORGANISATION_BY_ID, {"id": organisation_id})
        finally:
            await reads.dispose()

    found = asyncio.run(cancel_then_read())
    assert found is not None
    with postgres.connect() as connection:  # the server stopped it too: it holds nothing
        assert connection.execute(_SLEEPING).scalar_one() == 0


_SLEEPING = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()"
)


def test_reads_wait_a_bounded_time_for_a_connection_then_fail_as_the_pool_does(
    postgres: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All connections busy: a read waits ``WAIT_SECONDS`` on the event loop, then fails with
    the main pool's ``TimeoutError``, which the API answers with a 503."""
    monkeypatch.setattr(db, "READ_POOL_SIZE", 1)
    monkeypatch.setattr(db, "WAIT_SECONDS", 0.2)

    async def two_reads_one_connection() -> None:
        reads = Reads(postgres)
        try:
            busy = asyncio.create_task(reads.first(_SLEEP, {"seconds": 1}))
            await asyncio.sleep(0.1)
            with pytest.raises(PoolTimeout):
                await reads.first(_SLEEP, {"seconds": 0})
            assert (await busy) is not None
        finally:
            await reads.dispose()

    asyncio.run(two_reads_one_connection())
    assert problems.database_unavailable(PoolTimeout())


def test_a_connection_the_server_closed_is_dropped_and_the_next_read_is_served(
    postgres: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart or a failover ends every kept connection: the server says goodbye, the
    event loop hears it between requests, and the next read opens a new connection."""
    monkeypatch.setattr(db, "READ_POOL_SIZE", 1)
    organisation_id = _committed_organisation(postgres)

    async def read_across_a_termination() -> object:
        reads = Reads(postgres)
        try:
            assert await reads.first(_ORGANISATION_BY_ID, {"id": organisation_id}) is not None
            with postgres.connect() as connection:
                ended = connection.execute(_END_OTHER_SESSIONS).scalars().all()
            assert ended == [True]  # the one connection Reads keeps
            await asyncio.sleep(0.2)  # until the next request
            return await reads.first(_ORGANISATION_BY_ID, {"id": organisation_id})
        finally:
            await reads.dispose()

    assert asyncio.run(read_across_a_termination()) is not None


_END_OTHER_SESSIONS = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def test_a_server_that_refuses_is_the_main_engines_outage_error() -> None:
    """Refused connections raise what the units of work raise, SQLAlchemy's
    ``OperationalError``: the API answers 503, with no driver knowledge outside app.core.db."""
    refusing = db.make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none")
    with pytest.raises(OperationalError) as refused:
        _read_once(refusing, _ORGANISATION_BY_ID, {"id": uuid.uuid4()})
    assert problems.database_unavailable(refused.value)


_SETTING = select(func.current_setting(bindparam("name", type_=String)).label("value"))


def test_the_url_options_psycopg_takes_work_for_reads_too(postgres: Engine) -> None:
    """libpq's own connection tuning is left to the main engine; ``options`` become server
    settings, and any other option asyncpg passes on as one."""
    url = postgres.url.update_query_dict(
        {
            "connect_timeout": "5",
            "keepalives": "1",
            "application_name": "hipspine-reads",
            "options": "-c statement_timeout=4000",
        }
    )
    tuned = db.make_engine(url.render_as_string(hide_password=False))

    async def settings() -> list[object]:
        reads = Reads(tuned)
        try:
            found = [
                await reads.first(_SETTING, {"name": name})
                for name in ("application_name", "statement_timeout")
            ]
            return [row.value for row in found if row is not None]
        finally:
            await reads.dispose()

    try:
        assert asyncio.run(settings()) == ["hipspine-reads", "4s"]
    finally:
        tuned.dispose()
    with pytest.raises(ValueError, match="-c name=value"):
        Reads(
            db.make_engine(
                postgres.url.update_query_dict({"options": "--single"}).render_as_string(
                    hide_password=False
                )
            )
        )


def test_a_database_that_cannot_be_opened_is_an_outage(postgres: Engine) -> None:
    """A missing database, like a wrong password or a refused connection, is what the main
    engine reports as ``OperationalError``: a 503, not a 500."""
    missing = db.make_engine(
        postgres.url.set(database="hipspine_missing").render_as_string(hide_password=False)
    )

    with pytest.raises(OperationalError) as failed:
        _read_once(missing, _ORGANISATION_BY_ID, {"id": uuid.uuid4()})
    assert problems.database_unavailable(failed.value)


def test_a_key_and_a_patient_read_as_the_session_reads_them(committing_engine: Engine) -> None:
    """The two statements the API runs through ``Reads`` (a key's record, a patient), with
    their JSON, UUID and timestamp columns, give what the ORM session gives."""
    key = committed_key(committing_engine)
    secret = TEST_KEY_SECRET.encode()
    with Session(committing_engine) as session:
        expected = tenants.authenticate(session, key, secret=secret)
        assert expected is not None
        created = PatientCreate.model_validate(
            {"external_reference": "READ-1", "attributes": {"sitting_hours_per_day": 9}}
        )
        patient, _ = patients.create_patient(session, expected.organisation_id, created)
        session.commit()
        row = patients.get_patient(session, expected.organisation_id, patient.id)
        stored = patients.patient_public(row), row.version

    async def read() -> tuple[object, object]:
        reads = Reads(committing_engine)
        try:
            principal = await tenants.verify_key(reads, key, secret=secret)
            assert principal is not None
            return principal, await patients.read_patient(
                reads, principal.organisation_id, patient.id
            )
        finally:
            await reads.dispose()

    principal, read_back = asyncio.run(read())
    assert principal == expected
    assert read_back == stored
