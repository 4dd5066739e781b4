"""The application's errors; ``app.http.problems`` renders them as RFC 9457 problem details.

Every error the API returns is ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail``, ``instance`` and a stable machine-readable ``code``; validation
errors add ``errors[]``. Services raise :class:`AppError` subclasses and never know HTTP::

    AppError                      500 internal_error
    ├── BadRequest                400 bad_request
    ├── Unauthorized              401 unauthorized (with WWW-Authenticate)
    ├── Forbidden                 403 forbidden (names the missing scope)
    ├── NotFound                  404 not_found
    ├── MethodNotAllowed          405 method_not_allowed (with Allow)
    ├── Conflict                  409 conflict
    ├── PreconditionFailed        412 precondition_failed (stale If-Match)
    ├── PayloadTooLarge           413 payload_too_large
    ├── UnsupportedMediaType      415 unsupported_media_type (a body that is not JSON)
    ├── UnprocessableContent      422 validation_error (carries errors[])
    ├── PreconditionRequired      428 precondition_required (If-Match missing)
    ├── TooManyRequests           429 rate_limited (with Retry-After)
    ├── HeaderFieldsTooLarge      431 header_fields_too_large
    └── ServiceUnavailable        503 not_ready
        └── DatabaseUnavailable   503 database_unavailable (with Retry-After)

Subclasses may narrow ``code`` (a 409 ``duplicate_external_reference``, say) so clients can
branch on it without parsing the detail. The ``title`` is the status's standard phrase
(``http.HTTPStatus``), the same for every problem of that status.

A 500 never carries exception text: the detail is fixed and the traceback goes to the log,
tagged with the request id.
"""

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar


class AppError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = HTTPStatus(500).phrase

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.title = HTTPStatus(cls.status).phrase

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


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class MethodNotAllowed(AppError):
    status = 405
    code = "method_not_allowed"


class Conflict(AppError):
    status = 409
    code = "conflict"


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


class UnprocessableContent(AppError):
    status = 422
    code = "validation_error"


class PreconditionRequired(AppError):
    status = 428
    code = "precondition_required"


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"


class HeaderFieldsTooLarge(AppError):
    status = 431
    code = "header_fields_too_large"


class ServiceUnavailable(AppError):
    status = 503
    code = "not_ready"


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"


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
