"""Render every error as problem+json (see ``app.core.errors`` for the hierarchy)."""

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Annotated, Any, NamedTuple

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Scope

from app.core.errors import (
    AppError,
    BadRequest,
    Conflict,
    DatabaseUnavailable,
    Forbidden,
    HeaderFieldsTooLarge,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableContent,
    UnsupportedMediaType,
    invalid_input,
)
from app.core.logging import Throttle
from app.core.types import NamedSchema, Omittable
from app.http.dependencies import get_session
from app.http.routing import allowed_methods

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://hipspine.example/problems/"


class FieldError(BaseModel):
    """One invalid input: where it was, what was wrong."""

    loc: list[str | int] = Field(examples=[["query", "category"]])
    msg: str = Field(examples=["Input should be 'mobility', 'strength' or 'cardio'"])
    type: str = Field(examples=["enum"])


PROBLEM_CODE_SCHEMA = "ProblemCode"
# The contract lists every code as this schema's enum (see problem_codes), so clients can
# switch on it.
ProblemCode = Annotated[
    str,
    NamedSchema(
        PROBLEM_CODE_SCHEMA,
        {
            "type": "string",
            "description": "What went wrong, stable across versions: branch on this, not on the "
            "detail text.",
            "examples": ["not_found"],
        },
    ),
]


def _problem_example(schema: dict[str, Any], model: type[BaseModel]) -> None:
    # Only Problem's own: a subclass (a 409 with extension members, say) shows its own example.
    if model is Problem:
        schema["examples"] = [
            {
                "type": f"{PROBLEM_TYPE_BASE}not_found",
                "title": "Not Found",
                "status": 404,
                "detail": "No exercise with slug 'hip-twirl'.",
                "instance": "/v1/exercises/hip-twirl",
                "code": "not_found",
                "request_id": "0b6f1f1c9b7c4a5e8f0d2a1b3c4d5e6f",
            }
        ]


class Problem(BaseModel):
    """RFC 9457 problem details plus a stable ``code``."""

    model_config = ConfigDict(json_schema_extra=_problem_example)

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: ProblemCode
    request_id: str
    errors: Omittable[list[FieldError]] = Field(
        default=None, description="Validation errors (422): each invalid input."
    )


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str,
    request_id: str,
    errors: list[dict[str, Any]] | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": f"{PROBLEM_TYPE_BASE}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def error_body(error: AppError, *, instance: str, request_id: str) -> dict[str, Any]:
    """The problem+json body for ``error``."""
    return problem_body(
        status=error.status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        instance=instance,
        request_id=request_id,
        errors=error.errors,
        extensions=error.extensions,
    )


def problem_responses(
    *statuses: int, models: dict[int, type[Problem]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry declaring each error status a route can return; ``models``
    names the Problem subclass for statuses whose body carries extension members."""
    return {
        status: {
            "model": (models or {}).get(status, Problem),
            "description": _STATUSES[status].description,
        }
        for status in statuses
    }


class _Status(NamedTuple):
    error: type[AppError]
    description: str
    """The OpenAPI response's description; also the problem's detail when the framework, not
    our code, refuses the request without words of its own (``detail`` says it better where
    the framework does refuse: no route, a wrong method, a crash)."""
    detail: str | None = None


# The one table of error statuses: which error (so which code; the title is the status's
# phrase), how the contract describes it, and what a framework-raised one says.
_STATUSES = {
    400: _Status(BadRequest, "Bad Request.", "The request could not be parsed."),
    401: _Status(
        Unauthorized,
        "No valid API key: missing, malformed, unknown, revoked or expired (never which), or "
        "sent more than once.",
    ),
    403: _Status(Forbidden, "The key lacks the scope this operation needs; `detail` names it."),
    404: _Status(
        NotFound,
        "Not Found (also for another organisation's resources).",
        "No resource at this path.",
    ),
    405: _Status(
        MethodNotAllowed,
        "This path does not support the method; `Allow` lists those it does.",
        "This path does not support the method.",
    ),
    409: _Status(Conflict, "Conflict."),
    412: _Status(
        PreconditionFailed, "`If-Match` does not match the current `ETag`: fetch again and retry."
    ),
    413: _Status(PayloadTooLarge, "The request body is larger than the server accepts."),
    415: _Status(
        UnsupportedMediaType, "The body is not JSON: send it as `Content-Type: application/json`."
    ),
    422: _Status(UnprocessableContent, "Invalid input; `errors[]` names each field."),
    428: _Status(
        PreconditionRequired,
        "`If-Match` is required: send the `ETag` of the version you are changing.",
    ),
    429: _Status(TooManyRequests, "Rate limit reached: wait `Retry-After` seconds."),
    431: _Status(HeaderFieldsTooLarge, "The request's header fields are too many or too large."),
    500: _Status(
        AppError,
        "Internal error; the body never carries exception text.",
        "The server could not complete the request. Quote the request id when reporting it.",
    ),
    503: _Status(
        ServiceUnavailable,
        "The database is not reachable or has no capacity left: retry after `Retry-After` seconds.",
    ),
}


def status_error(status: int, detail: str | None = None) -> AppError:
    """The error for ``status`` as the table gives it, saying ``detail`` or the table's words.
    A status the table lacks (no route here raises one) is a 400 if the client erred, else a
    500: a client error never reads as the server's, nor the other way round."""
    entry = _STATUSES.get(status) or _STATUSES[400 if 400 <= status < 500 else 500]
    return entry.error(detail or entry.detail or entry.description)


def app_error_response(request: Request, exc: AppError) -> JSONResponse:
    return JSONResponse(
        error_body(exc, instance=request.url.path, request_id=request.state.request_id),
        status_code=exc.status,
        media_type=PROBLEM_JSON,
        headers=exc.headers,
    )


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return app_error_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return await _app_error(request, invalid_input(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    # Starlette's own errors (no route, wrong method) carry only the status's phrase; ours
    # (the body limit) and FastAPI's (an unreadable body) carry words worth passing on.
    said = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    error = status_error(exc.status_code, said)
    error.headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        error.headers["Allow"] = ", ".join(allowed_methods(request.app.routes, request.url.path))
    return app_error_response(request, error)


# --- the database being down or out of capacity ----------------------------------------------

DATABASE_RETRY_AFTER_SECONDS = 5

database_logger = logging.getLogger("app.database")
_database_warning = Throttle(60)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc``, or an error it was raised while handling, says the database cannot serve
    now: refused or lost connections, an exhausted pool, a server shutting down, a deadlock.

    DB-API's ``OperationalError`` is "not necessarily under the control of the programmer" and
    SQLAlchemy raises its ``TimeoutError`` when the pool has no connection to give; a retry
    later may succeed, so these are a 503, never a 500. The chain is walked because cleanup
    that runs after a lost connection (a rollback, say) fails in turn and raises its own error.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OperationalError | PoolTimeout):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


def database_unavailable_error(exc: BaseException) -> DatabaseUnavailable:
    """The 503 for a database outage, logged as one warning a minute at most per worker (the
    error's class only: its text can name hosts and users), never as a traceback per request."""
    if _database_warning.ready():
        database_logger.warning(
            "database unavailable: answering 503 until it is back (%s)", type(exc).__name__
        )
    return DatabaseUnavailable(
        "The database is not available right now; nothing was changed. Retry after "
        f"{DATABASE_RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


CLIENT_DISCONNECTED = "hipspine.client_disconnected"
"""Set in the request state once the request context has seen the client go away."""


def client_gone(scope: Scope, exc: BaseException) -> bool:
    """Whether ``exc`` came of the client going away (nobody is left to answer, and it is no
    fault of the server's), as the exception says or the request context saw."""
    return isinstance(exc, ClientDisconnect) or bool(
        scope.get("state", {}).get(CLIENT_DISCONNECTED)
    )


def unexpected_error(exc: BaseException) -> AppError:
    """The problem for an exception no handler took: a 503 for a database outage, else a 500
    that says nothing of the exception."""
    return database_unavailable_error(exc) if database_unavailable(exc) else status_error(500)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """What the last-resort layer (``ServerErrorMiddleware``) sends for an exception no other
    handler took, as the request context sends its own (``Connection: close``); it then raises
    the exception on to the request context, which logs it. A client that went away gets
    nothing: the exception is raised on at once, and its disconnection is no error."""
    if client_gone(request.scope, exc):
        raise exc
    response = app_error_response(request, unexpected_error(exc))
    response.headers["connection"] = "close"
    return response


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if not database_unavailable(exc):
        raise exc  # a bug, not an outage: the last-resort 500, its traceback logged
    return app_error_response(request, database_unavailable_error(exc))


# --- the statuses any route can return, whatever it declares -----------------------------------


def document_request_errors(schema: dict[str, Any], routes: list[tuple[str, APIRoute]]) -> None:
    """Declare what the request context and the exception handlers return on their own: 431 on
    every operation, 415 on every operation that takes a body, and 503 (with ``Retry-After``) on
    every operation that opens a database session (keyed operations declare theirs with their
    security: app.tenants.openapi)."""
    for path, route in routes:
        if not route.include_in_schema:
            continue
        uses_database = _uses(route.dependant, get_session)
        for method in route.methods or ():
            operation = schema["paths"][path][method.lower()]
            statuses = [431]
            if "requestBody" in operation:
                statuses.append(415)
            if uses_database:
                statuses.append(503)
            for status in statuses:
                declare_problem(operation, status)


def declare_problem(operation: dict[str, Any], status: int) -> None:
    """Declare that ``operation`` may answer ``status`` with problem+json (unless it says so
    already)."""
    operation["responses"].setdefault(str(status), _problem_response(status))


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _STATUSES[status].description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 503:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer", "minimum": 1, "examples": [5]},
            }
        }
    return response


def _uses(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(
        dependency.call is call or _uses(dependency, call) for dependency in dependant.dependencies
    )


def problem_codes() -> list[str]:
    """Every ``code`` a problem can carry: each :class:`AppError` class's, the routing errors'
    included (so a new error class is listed as soon as it is imported)."""
    classes: list[type[AppError]] = [AppError]
    for cls in classes:
        classes.extend(cls.__subclasses__())
    return sorted({cls.code for cls in classes})


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
