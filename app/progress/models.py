"""What is stored for a patient's progress: daily logs, plan revisions and outcome measures.

Every row carries its organisation and its patient, and every query filters on both. The logs
are read by date range: ``(patient_id, log_date)`` is unique, and the organisation's index
``(organisation_id, patient_id, log_date)`` serves every read of a patient's logs as an index
range scan, whatever the number of rows in the table."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from app.core.db import UtcDateTime, utc_now


class ProgressLog(SQLModel, table=True):
    """One patient's log of one local date (the plan's time zone), as sent (``body``)."""

    __tablename__ = "progress_log"
    __table_args__ = (
        UniqueConstraint("patient_id", "log_date"),
        Index(
            "ix_progress_log_organisation_id_patient_id_log_date",
            "organisation_id",
            "patient_id",
            "log_date",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    organisation_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="organisation.id", ondelete="CASCADE"
    )
    patient_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="patient.id", ondelete="CASCADE")
    log_date: date
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1, description="Bumped on every change; the ETag.")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)


class PlanRevision(SQLModel, table=True):
    """One revision of a stored plan: number 1 is the plan as generated; each later one is
    what the adaptation made of it, with the changes and their reasons."""

    __tablename__ = "plan_revision"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    organisation_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="organisation.id", ondelete="CASCADE"
    )
    patient_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="patient.id", ondelete="CASCADE", index=True
    )
    plan_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="patient_plan.id", ondelete="CASCADE")
    number: int
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    log_date: date | None = Field(default=None, description="The log that made it.")
    plan: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    changes: list[Any] = Field(sa_column=Column(JSON, nullable=False))


class OutcomeMeasure(SQLModel, table=True):
    """A scored outcome measure (PEG or PSFS) at a timepoint."""

    __tablename__ = "outcome_measure"
    __table_args__ = (
        # The list's keyset order within a patient; patient first, so erasure and the
        # foreign key's cascade find the rows by it too.
        Index("ix_outcome_measure_patient_id_created_at_id", "patient_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    organisation_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="organisation.id", ondelete="CASCADE"
    )
    patient_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="patient.id", ondelete="CASCADE")
    instrument: str = Field(max_length=16)
    timepoint: str = Field(max_length=16)
    taken_on: date
    items: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    score: float
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
