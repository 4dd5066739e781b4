"""Request-scoped dependencies: the database session, which is the request's unit of work, and
the reads that need none."""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from app.core.db import Reads

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, and its one owner: services flush and never commit. It
    commits once when the endpoint returns and rolls back when anything raises, so a write and
    its idempotency record land together or not at all.

    Declared with ``scope="function"`` (below), so the commit runs after the endpoint and
    *before* the response is sent: a commit that fails becomes an error response, and a client
    never sees a 201 for a write that was not kept. (FastAPI's default scope ends a ``yield``
    dependency after the response is sent.) A sync endpoint may instead end the unit of work
    itself, as its last act, in its own thread (``end_unit_of_work``; the creates do): the same
    commit, still before the response, one hop to the thread pool fewer.

    The session begins its transaction, and takes a connection, when it is first used, so it
    opens on the event loop. Its end (commit or rollback, and giving the connection back) is
    one hop to the thread pool, shielded so that a client that goes away cannot leave it half
    done; a session nobody used (a keyed read, whose key and row come through ``Reads``), or
    one a sync endpoint ended itself as its last act (``end_unit_of_work``), has nothing to end
    and closes on the loop.

    Requests wait on the event loop, not in a thread, for what would block there: a place
    among the units of work the pool can serve at once (``state.units_of_work``), and on
    SQLite, where one writer at a time holds the file, their turn to write
    (``state.serial_writes``)."""
    state = request.app.state
    writes = request.method in _WRITE_METHODS
    engine = state.write_engine if writes else state.engine
    gates: list[asyncio.Semaphore] = [
        gate
        for gate in (state.serial_writes if writes else None, state.units_of_work)
        if gate is not None
    ]
    for taken, gate in enumerate(gates):
        try:
            await gate.acquire()
        except BaseException:
            for earlier in gates[:taken]:
                earlier.release()
            raise
    try:
        session = Session(engine)
        ends_with(session, _commit)
        try:
            yield session
        except BaseException as error:
            await _end(session, error)
            raise
        await _end(session, None)
    finally:
        for gate in gates:
            gate.release()


def end_unit_of_work(session: Session) -> None:
    """End the request's unit of work now, in the calling thread, as its dependency would at
    the end of the request: commit (or roll back, if its writes were discarded or the commit
    fails), then close. For a sync endpoint, which runs in the thread pool, as its last act:
    the request then takes one hop to the thread pool, not two (measured: a hop costs
    35-50 µs of the worker's CPU). An error raised here still reaches the client as the
    request's error: nothing was sent yet."""
    end: Callable[[Session], None] | None = session.info.pop(_END, None)
    if end is not None:
        end(session)


def ends_with(session: Session, end: Callable[[Session], None]) -> None:
    """How ``end_unit_of_work`` ends the unit of work ``session`` is, said by whoever began it:
    ``get_session``, or a test that runs each request in a savepoint of its own."""
    session.info[_END] = end


_END = "end_unit_of_work"


def discard_writes(session: Session) -> None:
    """End the request's unit of work with a rollback, not a commit: for a request answered
    with a failure that has nothing to keep (a create sent without an idempotency key), so
    that it needs no savepoint around its work to undo it."""
    session.info[_DISCARD_WRITES] = True


def writes_discarded(session: Session) -> bool:
    """Whether the request's unit of work was told to roll back; asking clears it."""
    return bool(session.info.pop(_DISCARD_WRITES, False))


_DISCARD_WRITES = "discard_writes"


async def _end(session: Session, error: BaseException | None) -> None:
    if not session.in_transaction():
        session.close()
        return
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(_finish, session, error)


def _commit(session: Session) -> None:
    _finish(session, None)


def _finish(session: Session, error: BaseException | None) -> None:
    """Commit, or roll back when ``error`` was raised, the writes were discarded or the commit
    itself fails (closing alone would give the connection back still inside the failed
    transaction); then close."""
    with session:
        if writes_discarded(session) or error is not None:
            session.rollback()
            return
        try:
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def reads_of(request: Request) -> Reads:
    """The worker's ``Reads``. A plain function, not a dependency: every dependency FastAPI
    solves costs each request measurable time, and this one needs nothing solved."""
    reads: Reads = request.app.state.reads
    return reads
