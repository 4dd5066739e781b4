"""Strict query strings, from FastAPI's own query parameter models.

FastAPI ignores query parameters a route does not declare, so a misspelt filter
(``?categroy=strength``) would silently return everything. Every route therefore takes its
query parameters as one :class:`QueryParameters` model (``Annotated[Model, Query()]``), whose
``extra="forbid"`` makes FastAPI answer 422 naming each unknown parameter; a route that takes
none takes :data:`NoQuery`, the empty model, so any parameter is unknown.

FastAPI keeps the last value of a parameter given twice; :class:`RefuseRepeatedParameters`
refuses it instead, since no route takes a list in the query: a pure-ASGI layer rather than an
app-wide dependency, one dependency fewer for FastAPI to solve on every route.
"""

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import UnprocessableContent
from app.core.types import Omittable
from app.http.middleware import send_problem
from app.http.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor


class QueryParameters(BaseModel):
    """Base of every route's query parameters: unknown ones are a 422 naming them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoQueryParameters(QueryParameters):
    """The query of a route that takes no parameters."""


NoQuery = Annotated[NoQueryParameters, Query()]
"""The parameter (``_: NoQuery``) of an operation that takes no query parameters: FastAPI then
rejects every one. A parameter of the operation rather than a dependency, as each dependency
FastAPI solves costs every request a solve of its own (4% of a keyed patient read)."""


class PageQuery(QueryParameters):
    """The query of a paged list: where to go on from, and how many items."""

    cursor: Omittable[Cursor] = Field(
        default=None, description="The `next_cursor` of the previous page, to get the next one."
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")


class RefuseRepeatedParameters:
    """The 422 for a query parameter given twice, before the routes. Added inside CORS and the
    rate limits (app.main), so the refusal carries the CORS headers a browser needs to read it
    and counts against the caller's limit, as any request does; and inside the public response
    cache, which stores 200s by their exact raw query string: a query string that was refused
    has no entry, so a replay skips the check (in the cached reads' measurements, it cost a
    sixteenth of a replay)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = repeated_parameters(scope["query_string"])
            if refusal is not None:
                await send_problem(send, scope, refusal)
                return
        await self.app(scope, receive, send)


def repeated_parameters(query_string: bytes) -> UnprocessableContent | None:
    """The 422 for a query string that gives a parameter twice: silently keeping one of the
    values would answer a different question than the one asked."""
    if b"&" not in query_string:  # one parameter at most: the cached reads' usual case
        return None
    if b"%" not in query_string and b"+" not in query_string:
        # Names as sent are names as decoded: compare them without decoding the values.
        raw = [pair.partition(b"=")[0] for pair in query_string.split(b"&") if pair]
        if len(set(raw)) == len(raw):
            return None
    names = [name for name, _ in QueryParams(query_string).multi_items()]
    if len(set(names)) == len(names):
        return None
    repeated = sorted({name for name in names if names.count(name) > 1})
    return UnprocessableContent(
        f"Repeated query parameter(s): {', '.join(repeated)}.",
        errors=[
            {"loc": ["query", name], "msg": "Give this parameter once", "type": "repeated"}
            for name in repeated
        ],
    )
