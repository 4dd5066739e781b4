"""Errors as RFC 9457 problem details.

Every error the API returns is ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail``, ``instance`` and a stable machine-readable ``code``; validation
errors add ``errors[]``. Services raise :class:`AppError` subclasses and never know HTTP::

    AppError                      500 internal_error
    ├── BadRequest                400 bad_request
    ├── NotFound                  404 not_found
    ├── Conflict                  409 conflict
    ├── PayloadTooLarge           413 payload_too_large
    ├── UnprocessableContent      422 validation_error (carries errors[])
    └── ServiceUnavailable        503 not_ready

A 500 never carries exception text: the detail is fixed and the traceback goes to the log,
tagged with the request id.
"""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://hipspine.example/problems/"


class FieldError(BaseModel):
    """One invalid input: where it was, what was wrong."""

    loc: list[str | int] = Field(examples=[["query", "category"]])
    msg: str = Field(examples=["Input should be 'mobility', 'strength' or 'cardio'"])
    type: str = Field(examples=["enum"])


class Problem(BaseModel):
    """RFC 9457 problem details plus a stable ``code``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
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
        }
    )

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    request_id: str
    errors: list[FieldError] | None = None


class AppError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        """``extensions`` are RFC 9457 extension members, added beside the standard ones."""
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extensions = extensions


class BadRequest(AppError):
    status = 400
    code = "bad_request"
    title = "Bad Request"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not Found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title = "Content Too Large"


class UnprocessableContent(AppError):
    status = 422
    code = "validation_error"
    title = "Unprocessable Content"


class ServiceUnavailable(AppError):
    status = 503
    code = "not_ready"
    title = "Service Unavailable"


def field_errors(
    pydantic_errors: Sequence[Mapping[str, Any]], *, location: str | None = None
) -> list[dict[str, Any]]:
    """``errors[]`` entries from pydantic's errors, never echoing the input (it may be personal)."""
    prefix: list[str | int] = [location] if location else []
    return [
        {"loc": [*prefix, *error["loc"]], "msg": error["msg"], "type": error["type"]}
        for error in pydantic_errors
    ]


def invalid_input(
    pydantic_errors: Sequence[Mapping[str, Any]], *, location: str | None = None
) -> UnprocessableContent:
    """The 422 for invalid input, naming every bad field in the detail and in ``errors[]``."""
    errors = field_errors(pydantic_errors, location=location)
    fields = ", ".join(".".join(str(part) for part in error["loc"]) for error in errors)
    return UnprocessableContent(
        f"Invalid input: {fields}." if fields else "Invalid input.", errors=errors
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
    404: "Not Found.",
    409: "Conflict.",
    413: "Request body too large.",
    422: "Invalid input; `errors[]` names each field.",
    500: "Internal error; the body never carries exception text.",
    503: "A dependency (the database) is not reachable.",
}
