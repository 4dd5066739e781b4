"""Render every error as problem+json (see ``app.core.errors`` for the hierarchy)."""

from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from app.core.errors import AppError, invalid_input
from app.core.types import NamedSchema, Omittable
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


def problem_responses(
    *statuses: int, models: dict[int, type[Problem]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry declaring each error status a route can return; ``models``
    names the Problem subclass for statuses whose body carries extension members."""
    return {
        status: {
            "model": (models or {}).get(status, Problem),
            "description": _STATUS_DESCRIPTIONS[status],
        }
        for status in statuses
    }


_STATUS_DESCRIPTIONS = {
    400: "Bad Request.",
    401: "No valid API key: missing, malformed, unknown, revoked or expired (never which).",
    403: "The key lacks the scope this operation needs; `detail` names it.",
    404: "Not Found (also for another organisation's resources).",
    409: "Conflict.",
    412: "`If-Match` does not match the current `ETag`: fetch again and retry.",
    413: "Request body too large.",
    422: "Invalid input; `errors[]` names each field.",
    428: "`If-Match` is required: send the `ETag` of the version you are changing.",
    429: "Rate limit reached: wait `Retry-After` seconds.",
    500: "Internal error; the body never carries exception text.",
    503: "A dependency (the database) is not reachable.",
}


# Starlette raises HTTPException for routing-level errors; give each a stable code.
_HTTP_CODES = {
    400: ("bad_request", "Bad Request", "The request could not be parsed."),
    404: ("not_found", "Not Found", "No resource at this path."),
    405: ("method_not_allowed", "Method Not Allowed", "This path does not support the method."),
    413: ("payload_too_large", "Content Too Large", "The request body is too large."),
}
_HTTP_FALLBACK = ("http_error", "HTTP Error", "The request failed.")


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(
            status=status,
            code=code,
            title=title,
            detail=detail,
            instance=request.url.path,
            request_id=request.state.request_id,
            errors=errors,
            extensions=extensions,
        ),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def app_error_response(request: Request, exc: AppError) -> JSONResponse:
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        extensions=exc.extensions,
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
    code, title, detail = _HTTP_CODES.get(exc.status_code, _HTTP_FALLBACK)
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app.routes, request.url.path))
    return problem_response(
        request,
        status=exc.status_code,
        code=code,
        title=title,
        detail=detail,
        headers=headers or None,
    )


def problem_codes() -> list[str]:
    """Every ``code`` a problem can carry: each :class:`AppError` class's (so a new error class
    is listed as soon as it is imported) and the routing errors'."""
    classes: list[type[AppError]] = [AppError]
    for cls in classes:
        classes.extend(cls.__subclasses__())
    routing = {code for code, _, _ in _HTTP_CODES.values()} | {_HTTP_FALLBACK[0]}
    return sorted({cls.code for cls in classes} | routing)


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
