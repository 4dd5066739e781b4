"""``Idempotency-Key`` on creating POSTs: the header, and running a create under it."""

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header, Request, Response
from pydantic import StringConstraints
from sqlmodel import Session

from app.core.errors import AppError
from app.core.types import Omittable
from app.http.conditional import private_content
from app.http.problems import app_error_response
from app.idempotency import service
from app.idempotency.service import StoredResponse
from app.tenants.schemas import Principal

IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")
]
IdempotencyKeyHeader = Annotated[
    Omittable[IdempotencyKey],
    Header(
        alias="Idempotency-Key",
        description="A unique value per intended create (a UUID, say). A retry with the same "
        "key and body replays the first response, success or error, with "
        "`Idempotent-Replayed: true`; keys are kept at least 24 hours per organisation.",
    ),
]

IDEMPOTENCY_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "A request with this Idempotency-Key is still being processed."},
}


def respond_idempotently(
    request: Request,
    session: Session,
    principal: Principal,
    key: str | None,
    body: bytes,
    create: Callable[[], StoredResponse],
) -> Response:
    """Run ``create`` once per key: its response, or the error it raised as problem+json, is
    stored and replayed. Without a key, ``create`` simply runs."""
    if key is None:
        return _response(create())
    settings = request.app.state.settings
    slot = service.KeySlot(organisation_id=principal.organisation_id, key=key)
    replay = service.claim(
        session,
        slot,
        request_fingerprint=service.fingerprint(request.method, request.url.path, body),
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
    )
    if replay is not None:
        return _response(replay, replayed=True)
    try:
        outcome = create()
    except AppError as error:
        session.rollback()
        outcome = _problem(request, error)
    except BaseException:
        service.release(session, slot)
        raise
    service.complete(session, slot, outcome)
    return _response(outcome)


def _problem(request: Request, error: AppError) -> StoredResponse:
    rendered = app_error_response(request, error)
    return StoredResponse(
        status_code=rendered.status_code,
        body=bytes(rendered.body),
        media_type=rendered.media_type or "",
    )


def _response(stored: StoredResponse, *, replayed: bool = False) -> Response:
    headers = {"Location": stored.location} if stored.location else {}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return private_content(
        stored.body,
        status_code=stored.status_code,
        media_type=stored.media_type,
        etag=stored.etag,
        headers=headers,
    )
