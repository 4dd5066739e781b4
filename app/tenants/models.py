"""Organisations and their API keys. A key row holds the keyed hash, never the key."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, Uuid
from sqlmodel import Field, SQLModel

from app.core.db import Record, UtcDateTime, utc_now


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    name: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=12, description="The key id in its prefix.")
    organisation_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="organisation.id", ondelete="CASCADE", index=True
    )
    kind: str = Field(max_length=8)
    name: str = Field(default="", max_length=120)
    digest: str = Field(max_length=64, description="HMAC-SHA256 of the key, hex.")
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    replaced_by: str | None = Field(default=None, max_length=12)


def usable_at(key: ApiKey | Record, moment: datetime) -> bool:
    """Whether a key (its record, or a row with its lifetime) works at ``moment``."""
    return key.revoked_at is None and (key.expires_at is None or moment < key.expires_at)
