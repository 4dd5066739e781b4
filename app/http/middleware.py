"""The one pure-ASGI middleware every request passes through.

It gives each request an id (``X-Request-ID``, echoed when the client sent a sane one), enforces
the body-size limit with a 413, turns any exception that escaped the app into a problem+json 500
that still carries the request id, and writes one JSON access-log line. It is one middleware,
not four, because each layer costs time on every request.
"""

import itertools
import json
import logging
import re
import secrets
import time

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PayloadTooLarge
from app.core.logging import request_id_var
from app.http.problems import PROBLEM_JSON, problem_body

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

access_logger = logging.getLogger("app.access")
error_logger = logging.getLogger("app.error")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, access_log: bool) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started_at = time.perf_counter()
        response_status = 0

        async def send_with_request_id(message: Message) -> None:
            nonlocal response_status
            if message["type"] == "http.response.start":
                response_status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(status_code=413)
            return message

        try:
            if _declared_length(scope) > self.max_body_bytes:
                await self._send_problem(send_with_request_id, scope, request_id, 413)
            else:
                await self.app(scope, receive_within_limit, send_with_request_id)
        except HTTPException as exc:  # only the 413 raised above can escape the app this way
            if response_status == 0:
                await self._send_problem(send_with_request_id, scope, request_id, exc.status_code)
        except Exception:
            error_logger.exception("unhandled error", extra={"path": scope["path"]})
            if response_status == 0:
                await self._send_problem(send_with_request_id, scope, request_id, 500)
        finally:
            if self.access_log:
                access_logger.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": response_status,
                        "duration_ms": round((time.perf_counter() - started_at) * 1000, 3),
                    },
                )
            request_id_var.reset(token)

    async def _send_problem(self, send: Send, scope: Scope, request_id: str, status: int) -> None:
        if status == 413:
            error = PayloadTooLarge(f"Request body exceeds {self.max_body_bytes} bytes.")
            code, title, detail = error.code, error.title, error.detail
        else:
            code, title, detail = "internal_error", "Internal Server Error", _INTERNAL_DETAIL
        await send_problem(
            send,
            problem_body(
                status=status,
                code=code,
                title=title,
                detail=detail,
                instance=scope["path"],
                request_id=request_id,
            ),
            headers=[(b"connection", b"close")],
        )


async def send_problem(
    send: Send, body: dict[str, object], *, headers: list[tuple[bytes, bytes]]
) -> None:
    """A problem+json response from a pure-ASGI layer, where no exception handler runs."""
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": body["status"],
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(content)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


_INTERNAL_DETAIL = (
    "The server could not complete the request. Quote the request id when reporting it."
)


# Request ids only need to be unique, not secret: a random per-process prefix and a counter
# cost a fraction of a uuid4 on every request.
_ID_PREFIX = secrets.token_hex(8)
_id_counter = itertools.count()


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SAFE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
