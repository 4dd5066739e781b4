"""Request-scoped dependencies: the database session, which is the request's unit of work."""

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, and its one owner: services flush and never commit. It
    commits once when the endpoint returns and rolls back when anything raises, so a write and
    its idempotency record land together or not at all.

    Declared with ``scope="function"`` (below), so the commit runs after the endpoint and
    *before* the response is sent: a commit that fails becomes an error response, and a client
    never sees a 201 for a write that was not kept. (FastAPI's default scope ends a ``yield``
    dependency after the response is sent.)

    Opening the session does no I/O (it takes a connection when it first queries), so it opens
    on the event loop; its end (commit or rollback, and giving the connection back) is one hop
    to the thread pool, shielded so that a client that goes away cannot leave it half done."""
    state = request.app.state
    engine = state.write_engine if request.method in _WRITE_METHODS else state.engine
    session = Session(engine)
    transaction = session.begin()
    try:
        yield session
    except BaseException as error:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_end, session, transaction, error)
        raise
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(_end, session, transaction, None)


def _end(session: Session, transaction: SessionTransaction, error: BaseException | None) -> None:
    """What leaving ``with Session(engine) as session, session.begin():`` does: commit, or roll
    back when ``error`` was raised (and when the commit itself fails), then close."""
    with session:
        if error is None:
            transaction.__exit__(None, None, None)
        else:
            transaction.__exit__(type(error), error, error.__traceback__)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
