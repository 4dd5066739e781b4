"""The one pure-ASGI middleware every request passes through.

It gives each request an id (``X-Request-ID``, echoed when the client sent a sane one) and marks
every response ``X-Content-Type-Options: nosniff``; refuses, before the app runs, header fields
beyond their bounds (431), a declared body over the size limit (413) and a body that is not
JSON (415), and stops a streamed body at the limit (413); serves ``HEAD`` as ``GET`` without
the body; turns any exception that escaped the app's own layers into a problem+json 500 (a
503 when the database is down) that still carries the request id, except a client's own
disconnection, which is no error of ours, and logs each exception that reaches it, including
those FastAPI's last-resort layer answered (``app.http.application``); and writes one JSON
access-log line. It is one middleware, not several, because each layer costs time on every
request.
"""

import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import AppError, HeaderFieldsTooLarge, PayloadTooLarge, UnsupportedMediaType
from app.core.logging import request_id_var
from app.http.problems import (
    CLIENT_DISCONNECTED,
    PROBLEM_JSON,
    client_gone,
    database_unavailable,
    error_body,
    status_error,
    unexpected_error,
)

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_CLOSE = (b"connection", b"close")
_METHODS_WITH_CONTENT = frozenset({"POST", "PUT", "PATCH"})
_RESPONSE_HEADERS = "hipspine.response_headers"

access_logger = logging.getLogger("app.access")
error_logger = logging.getLogger("app.error")


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_header_bytes: int,
        max_header_count: int,
        access_log: bool,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.max_header_count = max_header_count
        self.access_log = access_log
        self._too_large = body_too_large(max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id, refusal = self._read_header_fields(scope)
        token = request_id_var.set(request_id)
        context_headers = [(b"x-request-id", request_id.encode()), _NOSNIFF]
        state = scope.setdefault("state", {})
        state["request_id"], state[_RESPONSE_HEADERS] = request_id, context_headers
        method = scope["method"]
        if method == "HEAD":
            # GET without the body (RFC 9110 9.3.2): every GET route, the response cache and
            # the rate limits serve it as a GET, and the body is dropped on the way out.
            scope = {**scope, "method": "GET"}
        started_at = time.perf_counter() if self.access_log else 0.0
        response_status = 0

        async def send_with_context(message: Message) -> None:
            nonlocal response_status
            if message["type"] == "http.response.start":
                response_status = message["status"]
                # A new list: the app's may be shared (the response cache replays its own).
                message["headers"] = [*message["headers"], *context_headers]
            elif method == "HEAD" and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # HTTPException, not PayloadTooLarge: FastAPI turns any other error while
                    # reading a body into a 400.
                    raise HTTPException(status_code=413, detail=self._too_large.detail)
            elif message["type"] == "http.disconnect":
                # In the request's own state (each request gets its own, as ASGI requires),
                # where FastAPI's last-resort layer and _error look for it.
                state[CLIENT_DISCONNECTED] = True
            return message

        try:
            error = refusal
            if error is None:
                try:
                    await self.app(scope, receive_within_limit, send_with_context)
                except Exception as exc:
                    error = self._error(exc, scope)
            if error is not None and response_status == 0:  # else the response cannot change
                await send_problem(send_with_context, scope, error, headers=[_CLOSE])
        finally:
            if self.access_log:
                access_logger.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "status": response_status,
                        "duration_ms": round((time.perf_counter() - started_at) * 1000, 3),
                    },
                )
            request_id_var.reset(token)

    def _error(self, exc: Exception, scope: Scope) -> AppError | None:
        """What to answer for an exception that escaped the app, logged; None when nobody is
        left to answer."""
        if isinstance(exc, HTTPException):  # the body limit, raised outside FastAPI's handlers
            return status_error(exc.status_code, exc.detail)
        if client_gone(scope, exc):
            # The client went away mid-request: it is no fault of the server's.
            error_logger.debug("client disconnected", extra={"path": scope["path"]})
            return None
        if not database_unavailable(exc):  # an outage is logged as one warning a minute
            error_logger.exception("unhandled error", extra={"path": scope["path"]})
        return unexpected_error(exc)

    def _read_header_fields(self, scope: Scope) -> tuple[str, AppError | None]:
        """The request's id, and why the request is refused before the app runs, if it is: in
        one pass over the header fields, unless there are more than allowed (a client may send
        any number; the request then gets an id of its own)."""
        if len(scope["headers"]) > self.max_header_count:
            return _request_id(None), HeaderFieldsTooLarge(
                f"The request has more than {self.max_header_count} header fields."
            )
        size = 0
        content_length = content_type = sent_id = None
        chunked = False
        for name, value in scope["headers"]:
            size += len(name) + len(value)
            if name == b"content-length":
                content_length = value
            elif name == b"content-type":
                content_type = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"x-request-id" and sent_id is None:
                sent_id = value
        if size <= self.max_header_bytes and content_length is None and not chunked:
            return _request_id(sent_id), None  # most requests: no body, header fields in bounds
        refusal = self._refusal(size, content_length, content_type, chunked, scope["method"])
        return _request_id(sent_id), refusal

    def _refusal(
        self,
        size: int,
        content_length: bytes | None,
        content_type: bytes | None,
        chunked: bool,
        method: str,
    ) -> AppError | None:
        if size > self.max_header_bytes:
            return HeaderFieldsTooLarge(
                f"The request's header fields add up to more than {self.max_header_bytes} bytes."
            )
        declared = _length(content_length)
        if declared > self.max_body_bytes:
            return self._too_large
        has_body = declared > 0 or chunked
        if has_body and method in _METHODS_WITH_CONTENT and not is_json(content_type):
            return UnsupportedMediaType(
                "The body must be JSON: send it with `Content-Type: application/json` "
                "(UTF-8; `application/<name>+json` is accepted too)."
            )
        return None


def add_response_headers(scope: Scope, headers: list[tuple[bytes, bytes]]) -> None:
    """Header fields for this request's response, known before the app runs, which the request
    context adds when the response starts: an inner layer needs no send wrapper of its own
    (each wrapper is a call on every message)."""
    added: list[tuple[bytes, bytes]] | None = scope.get("state", {}).get(_RESPONSE_HEADERS)
    if added is None:
        raise RuntimeError("add_response_headers runs only within RequestContextMiddleware")
    added.extend(headers)


def body_too_large(max_body_bytes: int) -> PayloadTooLarge:
    """The one wording of the 413, whether the body's declared length or its bytes exceed."""
    return PayloadTooLarge(f"The request body is larger than the {max_body_bytes} bytes allowed.")


def is_json(content_type: bytes | None) -> bool:
    """``application/json`` or ``application/<name>+json``, case-insensitive, with parameters
    allowed except a charset other than UTF-8 (RFC 8259: JSON exchanged between systems is
    UTF-8)."""
    if content_type is None:
        return False
    media_type, *parameters = content_type.decode("latin-1").lower().split(";")
    kind = media_type.strip()
    if kind != "application/json" and not (
        kind.startswith("application/") and kind.endswith("+json")
    ):
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return False
    return True


async def send_problem(
    send: Send, scope: Scope, error: AppError, *, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """``error`` as a problem+json response from a pure-ASGI layer, where no exception handler
    runs: with the request's id (when the request context gave it one), the error's own header
    fields, then ``headers``."""
    request_id = scope.get("state", {}).get("request_id", "")
    content = json.dumps(error_body(error, instance=scope["path"], request_id=request_id)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(content)).encode()),
                *(
                    (name.lower().encode(), value.encode("latin-1"))
                    for name, value in (error.headers or {}).items()
                ),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


# Request ids only need to be unique, not secret: a random per-process prefix and a counter
# cost a fraction of a uuid4 on every request.
_ID_PREFIX = secrets.token_hex(8)
_id_counter = itertools.count()


def _request_id(sent: bytes | None) -> str:
    """The client's own id when it sent a sane one, else a new one."""
    if sent is not None:
        candidate = sent.decode("latin-1")
        if _SAFE_REQUEST_ID.fullmatch(candidate):
            return candidate
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


def _length(value: bytes | None) -> int:
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        return 0
