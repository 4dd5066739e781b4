"""``Reads``: single statements outside a unit of work, on connections of their own. They see
what others committed, on either backend; on PostgreSQL no thread is involved."""

import asyncio
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, bindparam, select
from sqlmodel import Session

from app.core.db import Reads
from app.tenants import service as tenants
from app.tenants.models import Organisation

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


def test_reads_see_committed_rows_and_return_none_for_missing_ones(
    committing_engine: Engine,
) -> None:
    organisation_id = _committed_organisation(committing_engine)
    found, missing = asyncio.run(_read_twice(committing_engine, organisation_id))
    assert found is not None
    assert found.id == organisation_id  # type: ignore[attr-defined]
    assert found.name == "Reads Clinic"  # type: ignore[attr-defined]
    assert missing is None


def test_reads_take_a_thread_only_where_the_driver_blocks(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's calls block, so there a read runs in a worker thread; on PostgreSQL it runs on
    the event loop (psycopg's async driver)."""
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
