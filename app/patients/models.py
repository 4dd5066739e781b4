"""Patients and what is stored for them. Every row carries its organisation, and every query
filters on it; erasing a patient cascades to everything below it in the database itself."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from app.core.db import UtcDateTime, utc_now


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        UniqueConstraint("organisation_id", "external_reference"),
        # The list's keyset order, within one organisation.
        Index("ix_patient_organisation_id_created_at_id", "organisation_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    organisation_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="organisation.id", ondelete="CASCADE"
    )
    external_reference: str = Field(max_length=64)
    attributes: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1, description="Bumped on every change; the ETag.")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    # The latest emergency or urgent red flag from a daily log (``PlanStop`` shape): no new plan
    # until an assessment is stored after it, whether or not a plan was running to be stopped.
    red_flag_log: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class PatientAssessment(SQLModel, table=True):
    """A scored assessment, kept exactly as it was scored (with its versions)."""

    __tablename__ = "patient_assessment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    organisation_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="organisation.id", ondelete="CASCADE"
    )
    patient_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="patient.id", ondelete="CASCADE", index=True
    )
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class PatientPlan(SQLModel, table=True):
    """A stored plan: ``plan`` is its current revision (revision 1 is the plan as generated;
    the adaptation to the patient's logs makes later ones, each kept in ``plan_revision``), with
    its status and why it stopped."""

    __tablename__ = "patient_plan"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    organisation_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="organisation.id", ondelete="CASCADE"
    )
    patient_id: uuid.UUID = Field(
        sa_type=Uuid, foreign_key="patient.id", ondelete="CASCADE", index=True
    )
    assessment_id: uuid.UUID | None = Field(
        default=None, sa_type=Uuid, foreign_key="patient_assessment.id", ondelete="SET NULL"
    )
    status: str = Field(max_length=16)
    revision: int = Field(
        default=1, description="The current revision of ``plan`` (1: as generated)."
    )
    version: int = Field(default=1, description="Bumped on every change; the ETag.")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime)
    plan: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # Why and when the plan stopped (``PlanStop``); null while it has not.
    stop: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
