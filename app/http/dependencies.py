"""Request-scoped dependencies: the database session, which is the request's unit of work."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, and its one owner: services flush and never commit. It
    commits once when the endpoint returns and rolls back when anything raises, so a write and
    its idempotency record land together or not at all.

    Declared with ``scope="function"`` (below), so the commit runs after the endpoint and
    *before* the response is sent: a commit that fails becomes an error response, and a client
    never sees a 201 for a write that was not kept. (FastAPI's default scope ends a ``yield``
    dependency after the response is sent.)"""
    state = request.app.state
    engine = state.write_engine if request.method in _WRITE_METHODS else state.engine
    with Session(engine) as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
