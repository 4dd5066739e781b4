"""Patients and their stored records, as the API reads and writes them.

Create and update bodies hold only what a client may set: organisation, ids, versions and
timestamps are the server's, and sending them is a 422 like any unknown field.
"""

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from app.assessments import AssessmentAnswers, AssessmentResult, Triage
from app.catalogue import StrictModel
from app.core.types import HoursInDay, Nullable, Omittable
from app.http.pagination import Page
from app.http.query import PageQuery
from app.plans import AssessmentInput, Plan, PlanOptions

ExternalReference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"),
]


class PatientListQuery(PageQuery):
    external_reference: Omittable[ExternalReference] = Field(
        default=None, description="Only the patient with this reference (an empty page if none)."
    )


class AgeBand(StrEnum):
    age_18_29 = "18-29"
    age_30_39 = "30-39"
    age_40_49 = "40-49"
    age_50_59 = "50-59"
    age_60_69 = "60-69"
    age_70_plus = "70+"


class Occupation(StrEnum):
    desk = "desk"
    standing = "standing"
    manual = "manual"
    mixed = "mixed"
    other = "other"


class ActivityLevel(StrEnum):
    sedentary = "sedentary"
    light = "light"
    moderate = "moderate"
    active = "active"


class PatientAttributes(StrictModel):
    """Optional and non-identifying: bands and categories, never names or dates of birth. Each
    is absent or null when unknown; in an update, null clears it and absent leaves it as is."""

    age_band: Nullable[AgeBand] = None
    occupation: Nullable[Occupation] = None
    activity_level: Nullable[ActivityLevel] = None
    sitting_hours_per_day: Nullable[HoursInDay] = None


class PatientCreate(StrictModel):
    external_reference: ExternalReference = Field(
        description="Your own reference for the patient (unique in your organisation); "
        "not a name or anything that identifies the person elsewhere.",
        examples=["clinic-7/patient-0042"],
    )
    attributes: PatientAttributes = Field(default_factory=PatientAttributes)


class PatientUpdate(StrictModel):
    """Fields present are changed, absent ones are left as they are; inside ``attributes``, a
    null clears that attribute."""

    external_reference: Omittable[ExternalReference] = Field(
        default=None, description="The new reference; omit it to keep the current one."
    )
    attributes: Omittable[PatientAttributes] = Field(
        default=None,
        description="Only the attributes present are changed; null clears one.",
    )


class PatientPublic(StrictModel):
    id: uuid.UUID
    external_reference: str
    attributes: PatientAttributes
    created_at: AwareDatetime
    updated_at: AwareDatetime


class StoredAssessment(StrictModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    created_at: AwareDatetime
    answers: AssessmentAnswers
    result: AssessmentResult = Field(
        description="Exactly as scored, with the dataset and ruleset versions it was scored with."
    )


class PlanStatus(StrEnum):
    active = "active"
    paused = "paused"
    stopped = "stopped"
    completed = "completed"


class PatientPlanRequest(PlanOptions):
    assessment: Omittable[AssessmentInput] = Field(
        default=None,
        description="Omit to plan from the patient's latest stored assessment, scored again "
        "with the current ruleset. Whichever is given, a latest stored assessment with an "
        "emergency or urgent triage means no plan.",
    )


class PlanStopReason(StrEnum):
    red_flag = "red_flag"
    requested = "requested"


class PlanStop(StrictModel):
    reason: PlanStopReason = Field(
        description="`red_flag`: an assessment or a daily log with an emergency or urgent "
        "triage was stored for the patient; `requested`: someone set the status to stopped."
    )
    stopped_at: AwareDatetime
    assessment_id: uuid.UUID | None = Field(description="The red-flag assessment.")
    log_date: Nullable[date] = Field(
        default=None, description="The date of the daily log whose red flag stopped the plan."
    )
    triage: Triage | None = Field(description="The red-flag assessment's or log's triage.")


class PlanStatusChange(StrictModel):
    status: PlanStatus = Field(
        description="active ⇄ paused; either may become stopped or completed, which are final."
    )


class StoredPlanSummary(StrictModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    assessment_id: uuid.UUID | None = Field(
        description="The stored assessment it was made from; null when the request gave one."
    )
    status: PlanStatus
    revision: int = Field(
        ge=1,
        description="The plan's current revision: 1 as generated; each adaptation to the "
        "patient's logs that changes the plan adds one (`GET .../plans/{plan_id}/revisions`).",
    )
    created_at: AwareDatetime
    updated_at: AwareDatetime
    start_date: str = Field(description="The plan's first day (YYYY-MM-DD).")
    stop: PlanStop | None = Field(
        description="Why and when the plan stopped; null unless `status` is `stopped`. A "
        "stopped plan's calendar cancels every event after `stopped_at`."
    )
    dataset_version: str
    ruleset_version: str
    generator_version: str


class StoredPlan(StoredPlanSummary):
    plan: Plan = Field(
        description="The current revision: as generated, then as adapted to the patient's "
        "logs (only days after a log change); never changes with the catalogue."
    )


class PatientPage(Page[PatientPublic]):
    """A page of patients."""


class StoredAssessmentPage(Page[StoredAssessment]):
    """A page of a patient's stored assessments."""


class StoredPlanSummaryPage(Page[StoredPlanSummary]):
    """A page of a patient's stored plans, without their day-by-day plan."""


class PatientExport(StrictModel):
    """Everything stored for one patient (data portability)."""

    exported_at: AwareDatetime
    patient: PatientPublic
    assessments: list[StoredAssessment]
    plans: list[StoredPlan]
