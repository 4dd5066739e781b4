"""Errors as RFC 9457 problem details.

Every error the API returns is ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail``, ``instance`` and a stable machine-readable ``code``; validation
errors add ``errors[]``. Services raise :class:`AppError` subclasses and never know HTTP::

    AppError                      500 internal_error
    ├── BadRequest                400 bad_request
    ├── Unauthorized              401 unauthorized (with WWW-Authenticate)
    ├── Forbidden                 403 forbidden (names the missing scope)
    ├── NotFound                  404 not_found
    ├── Conflict                  409 conflict
    ├── PreconditionFailed        412 precondition_failed (stale If-Match)
    ├── PayloadTooLarge           413 payload_too_large
    ├── UnprocessableContent      422 validation_error (carries errors[])
    ├── PreconditionRequired      428 precondition_required (If-Match missing)
    ├── TooManyRequests           429 rate_limited (with Retry-After)
    └── ServiceUnavailable        503 not_ready

Subclasses may narrow ``code`` (a 409 ``duplicate_external_reference``, say) so clients can
branch on it without parsing the detail.

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
        headers: dict[str, str] | None = None,
    ) -> None:
        """``extensions`` are RFC 9457 extension members, added beside the standard ones;
        ``headers`` go on the response (``WWW-Authenticate``, ``Retry-After``)."""
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extensions = extensions
        self.headers = headers


class BadRequest(AppError):
    status = 400
    code = "bad_request"
    title = "Bad Request"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not Found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"
    title = "Precondition Failed"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title = "Content Too Large"


class UnprocessableContent(AppError):
    status = 422
    code = "validation_error"
    title = "Unprocessable Content"


class PreconditionRequired(AppError):
    status = 428
    code = "precondition_required"
    title = "Precondition Required"


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"
    title = "Too Many Requests"


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
