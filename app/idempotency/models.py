"""Responses kept per organisation and Idempotency-Key, so a retried create is replayed."""

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from app.core.db import UtcDateTime, utc_now


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (
        UniqueConstraint("organisation_id", "key"),
        Index("ix_idempotency_record_expires_at", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="organisation.id", ondelete="CASCADE"
    )
    # Set once the response concerns a patient, so erasing the patient erases it too.
    patient_id: uuid.UUID | None = Field(
        default=None, sa_type=Uuid, foreign_key="patient.id", ondelete="CASCADE", index=True
    )
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64, description="SHA-256 of method, path and body.")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    # None only inside the transaction that claims the key, which commits it with its response
    # (or in a row left by an earlier version, which committed claims alone: a claim voids it).
    status_code: int | None = Field(default=None)
    media_type: str | None = Field(default=None, max_length=100)
    location: str | None = Field(default=None, max_length=255)
    etag: str | None = Field(default=None, max_length=100)
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
