"""Idempotency keys for creating POSTs (after the IETF httpapi Idempotency-Key draft).

The first request with a key claims it (a row, committed before the work starts); the response
it ends with, success or error, is stored on that row and replayed to every retry with the same
key and the same request. A retry while the first is still running gets 409; the same key with a
different request gets 422. Keys are per organisation and kept ``ttl``; rows that name a patient
go when the patient is erased.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.db import utc_now
from app.core.errors import Conflict, UnprocessableContent
from app.idempotency.models import IdempotencyRecord

# A claim older than this whose response never arrived (the worker died) may be taken over.
ABANDONED_AFTER = timedelta(minutes=2)


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
) -> StoredResponse | None:
    """None when this request now owns ``key`` and must do the work; otherwise the stored
    response to replay. Raises 409 while the first request runs, 422 for a different request."""
    for _ in range(2):  # a lost race to insert is followed by one read of the winner's row
        record = _find(session, slot)
        if record is None:
            if _insert(session, slot, request_fingerprint, ttl):
                return None
            continue
        if record.fingerprint != request_fingerprint:
            raise KeyReused(
                "This Idempotency-Key was used for a different request; use a new key.",
                errors=[
                    {
                        "loc": ["header", "Idempotency-Key"],
                        "msg": "Already used with a different method, path or body",
                        "type": "idempotency_key_reused",
                    }
                ],
            )
        if record.status_code is not None:
            return _stored(record)
        if utc_now() - record.created_at < ABANDONED_AFTER:
            raise KeyInProgress(
                "A request with this Idempotency-Key is still being processed; retry shortly."
            )
        record.created_at = utc_now()
        session.add(record)
        session.commit()
        return None
    raise KeyInProgress("A request with this Idempotency-Key is being processed; retry shortly.")


def complete(session: Session, slot: KeySlot, response: StoredResponse) -> None:
    record = _find(session, slot)
    if record is None:  # the patient it named was erased meanwhile: nothing left to keep
        return
    record.status_code = response.status_code
    record.body = response.body
    record.media_type = response.media_type
    record.location = response.location
    record.etag = response.etag
    record.patient_id = response.patient_id
    session.add(record)
    session.commit()


def release(session: Session, slot: KeySlot) -> None:
    """Forget a claim whose request failed unexpectedly, so a retry can run again."""
    session.rollback()
    session.execute(delete(IdempotencyRecord).where(*_same_slot(slot)))
    session.commit()


def _same_slot(slot: KeySlot) -> tuple[Any, ...]:
    return (
        col(IdempotencyRecord.organisation_id) == slot.organisation_id,
        col(IdempotencyRecord.key) == slot.key,
    )


def forget_patient(session: Session, patient_id: uuid.UUID) -> None:
    """Delete every stored response about the patient, inside the caller's transaction (an
    erasure, which commits it with the rest)."""
    session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.patient_id) == patient_id)
    )


def purge_expired(session: Session) -> int:
    result = session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) < utc_now())
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def _find(session: Session, slot: KeySlot) -> IdempotencyRecord | None:
    query = (
        select(IdempotencyRecord)
        .where(*_same_slot(slot), col(IdempotencyRecord.expires_at) > utc_now())
        # Another request may have completed the row since this session last read it.
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def _insert(session: Session, slot: KeySlot, request_fingerprint: str, ttl: timedelta) -> bool:
    # An expired row with the same key would block the insert: drop it first.
    session.execute(
        delete(IdempotencyRecord).where(
            *_same_slot(slot), col(IdempotencyRecord.expires_at) <= utc_now()
        )
    )
    now = utc_now()
    session.add(
        IdempotencyRecord(
            organisation_id=slot.organisation_id,
            key=slot.key,
            fingerprint=request_fingerprint,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


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
