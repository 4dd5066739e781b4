"""``Idempotency-Key`` on creating POSTs: the header, and running a create under it."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Header, Request, Response
from pydantic import StringConstraints
from sqlmodel import Session

from app.core.errors import AppError
from app.core.types import Omittable
from app.http.conditional import private_content
from app.http.dependencies import discard_writes, end_unit_of_work
from app.http.problems import app_error_response
from app.idempotency import service
from app.idempotency.service import StoredResponse
from app.tenants import principal_of

IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")
]
IdempotencyKeyHeader = Annotated[
    Omittable[IdempotencyKey],
    Header(
        alias="Idempotency-Key",
        description="A unique value per intended create (a UUID, say). A retry with the same "
        "key and body replays the first response, success or error, with "
        "`Idempotent-Replayed: true`; a retry sent while the first is still running waits for "
        "it. Keys are kept at least 24 hours per organisation.",
    ),
]


def respond_idempotently(
    request: Request,
    session: Session,
    key: str | None,
    body: bytes,
    create: Callable[[], StoredResponse],
    *,
    patient_id: uuid.UUID | None = None,
) -> Response:
    """Run ``create`` once per key of the caller's organisation (a keyed route's), in the
    request's transaction: its response, or the error it raised as problem+json, is stored on
    the key's record and replayed to retries. An error
    keeps none of the work's writes; ``patient_id`` names the patient an error is about (the
    path's), so erasing the patient erases the stored error too. Without a key, ``create``
    simply runs, and an error rolls back the request's whole transaction: a route must write
    nothing before calling this (none does; their dependencies only read). Anything but an
    ``AppError`` propagates: the request's transaction then rolls back, claim included, and a
    retry runs afresh. Calling this is the endpoint's last act: it ends the request's unit of
    work (``end_unit_of_work``), so what it returns has been committed."""
    replayed = False
    if key is None:
        outcome = _run(request, session, create, patient_id, keeping_a_claim=False)
    else:
        settings = request.app.state.settings
        claimed = service.claim(
            session,
            service.KeySlot(organisation_id=principal_of(request).organisation_id, key=key),
            request_fingerprint=service.fingerprint(request.method, request.url.path, body),
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
        )
        if isinstance(claimed, StoredResponse):
            outcome, replayed = claimed, True
        else:
            outcome = _run(request, session, create, patient_id, keeping_a_claim=True)
            service.complete(session, claimed, outcome)
    response = _response(outcome, replayed=replayed)
    end_unit_of_work(session)  # the endpoint's last act: its writes commit in its own thread
    return response


def stored_problem(
    request: Request, error: AppError, *, patient_id: uuid.UUID | None
) -> StoredResponse:
    """``error`` as the problem+json response to store, naming the patient it is about."""
    rendered = app_error_response(request, error)
    return StoredResponse(
        status_code=rendered.status_code,
        body=bytes(rendered.body),
        media_type=rendered.media_type or "",
        patient_id=patient_id,
    )


def _run(
    request: Request,
    session: Session,
    create: Callable[[], StoredResponse],
    patient_id: uuid.UUID | None,
    *,
    keeping_a_claim: bool,
) -> StoredResponse:
    """``create``'s response; a failure (an ``AppError``, or a problem it returns) keeps none
    of its writes. With a claim to keep, the work runs in a savepoint that only a success
    releases, so the claim stays to store the outcome on. Without one the request's
    transaction holds nothing else, and a failure discards it whole when the request ends:
    two round trips (SAVEPOINT, RELEASE) fewer on every create sent without a key."""
    work = session.begin_nested() if keeping_a_claim else None
    try:
        outcome = create()
    except AppError as error:
        outcome = stored_problem(request, error, patient_id=patient_id)
    if outcome.status_code < 400:
        if work is not None:
            work.commit()
    elif work is not None:
        work.rollback()
    else:
        discard_writes(session)
    return outcome


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
