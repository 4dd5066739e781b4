"""Idempotency keys for creating POSTs (after the IETF httpapi Idempotency-Key draft).

A key is claimed by inserting its record in the request's own transaction, before the work;
the work's writes and the response it ends with (success or error) are added to the same
transaction, which commits once. A record is therefore never seen without its response, and
a response is never kept without its writes:

- a retry arriving while the first request runs blocks on the key's unique index (PostgreSQL)
  or on the write lock (SQLite, whose writing transactions begin IMMEDIATE) until the first
  commits, then replays its response; if the first rolls back, the retry does the work;
- a request that dies or loses its database before the commit leaves nothing behind, so its
  retry runs afresh.

The same key with a different request gets 422. Keys are per organisation and kept ``ttl``;
records that name a patient go when the patient is erased.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.db import utc_now
from app.core.errors import Conflict, UnprocessableContent
from app.idempotency.models import IdempotencyRecord


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    media_type: str
    location: str | None = None
    etag: str | None = None
    patient_id: uuid.UUID | None = None


@dataclass(frozen=True)
class KeySlot:
    """An Idempotency-Key as stored: keys are per organisation."""

    organisation_id: uuid.UUID
    key: str


class KeyInProgress(Conflict):
    code = "idempotency_key_in_progress"


class KeyReused(UnprocessableContent):
    code = "idempotency_key_reused"


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def claim(
    session: Session,
    slot: KeySlot,
    *,
    request_fingerprint: str,
    ttl: timedelta,
) -> IdempotencyRecord | StoredResponse:
    """The new record this request now owns (flushed, not committed: pass it to
    :func:`complete`), or the committed response to replay. Raises 422 when the key was used
    for a different request."""
    for _ in range(2):  # a lost race to insert is followed by one read of the winner's row
        stored = _completed(session, slot)
        if stored is not None:
            if stored.fingerprint != request_fingerprint:
                raise _reused()
            return _stored(stored)
        record = _insert(session, slot, request_fingerprint, ttl)
        if record is not None:
            return record
    # The winner's record went between its commit and this read (its patient was erased).
    raise KeyInProgress("A request with this Idempotency-Key was just processed; retry it.")


def complete(session: Session, record: IdempotencyRecord, response: StoredResponse) -> None:
    """Store the response on the claimed record, in the request's transaction."""
    record.status_code = response.status_code
    record.body = response.body
    record.media_type = response.media_type
    record.location = response.location
    record.etag = response.etag
    record.patient_id = response.patient_id
    session.add(record)
    session.flush()


def forget_patient(session: Session, patient_id: uuid.UUID) -> None:
    """Delete every stored response about the patient, inside the caller's transaction (an
    erasure, which commits it with the rest). The foreign key cascades too; this makes erasure
    independent of that configuration."""
    session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.patient_id) == patient_id)
    )


def purge_expired(session: Session) -> int:
    """Delete expired records, in the caller's transaction; the number deleted."""
    result = session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) < utc_now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _reused() -> KeyReused:
    return KeyReused(
        "This Idempotency-Key was used for a different request; use a new key.",
        errors=[
            {
                "loc": ["header", "Idempotency-Key"],
                "msg": "Already used with a different method, path or body",
                "type": "idempotency_key_reused",
            }
        ],
    )


def _same_slot(slot: KeySlot) -> tuple[Any, ...]:
    return (
        col(IdempotencyRecord.organisation_id) == slot.organisation_id,
        col(IdempotencyRecord.key) == slot.key,
    )


def _completed(session: Session, slot: KeySlot) -> IdempotencyRecord | None:
    query = (
        select(IdempotencyRecord)
        .where(
            *_same_slot(slot),
            col(IdempotencyRecord.expires_at) > utc_now(),
            col(IdempotencyRecord.status_code).is_not(None),
        )
        # A concurrent request may have committed the row since this session last read it.
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def _insert(
    session: Session, slot: KeySlot, request_fingerprint: str, ttl: timedelta
) -> IdempotencyRecord | None:
    """The new, flushed record; None when another transaction committed the key first."""
    # An expired record would block the insert, and so would one without a response (left by
    # a version of this service that committed the claim before the work): both are void.
    session.execute(
        delete(IdempotencyRecord).where(
            *_same_slot(slot),
            or_(
                col(IdempotencyRecord.expires_at) <= utc_now(),
                col(IdempotencyRecord.status_code).is_(None),
            ),
        )
    )
    now = utc_now()
    record = IdempotencyRecord(
        organisation_id=slot.organisation_id,
        key=slot.key,
        fingerprint=request_fingerprint,
        created_at=now,
        expires_at=now + ttl,
    )
    try:
        # A savepoint, so losing the race leaves the request's transaction usable. On
        # PostgreSQL the insert waits here while another transaction holds the same key.
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return None
    return record


def _stored(record: IdempotencyRecord) -> StoredResponse:
    assert record.status_code is not None
    assert record.media_type is not None
    return StoredResponse(
        status_code=record.status_code,
        body=record.body or b"",
        media_type=record.media_type,
        location=record.location,
        etag=record.etag,
        patient_id=record.patient_id,
    )
