"""What the stored progress routes read and write: outcome measures, logs as stored, plan
revisions and the progress summary."""

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, RootModel, StringConstraints

from app.assessments import Triage
from app.catalogue import StrictModel
from app.core.types import JsonDate, JsonInt, Nullable, Omittable, PlainText
from app.http.pagination import Page
from app.http.query import PageQuery
from app.patients import MAX_DAYS_IN_THE_PAST, PatientExport
from app.plans import Plan
from app.progress.outcomes import Instrument, Timepoint
from app.progress.schemas import DatedLog, Note, PlanChange, PlanDifference, Rating

ItemScore = Annotated[int, Field(ge=0, le=10)]


class PegItems(StrictModel):
    pain_average: JsonInt = Field(ge=0, le=10, description="Pain on average in the past week.")
    enjoyment_interference: JsonInt = Field(
        ge=0, le=10, description="How pain interfered with enjoyment of life in the past week."
    )
    activity_interference: JsonInt = Field(
        ge=0, le=10, description="How pain interfered with general activity in the past week."
    )


class PsfsActivity(StrictModel):
    activity: Annotated[
        str,
        StringConstraints(min_length=1, max_length=80, strip_whitespace=True),
        *PlainText.__metadata__,
    ] = Field(
        description="An activity the patient names, hard to do because of the problem (no "
        "control characters)."
    )
    score: JsonInt = Field(
        ge=0, le=10, description="0 unable to perform; 10 able to perform as before."
    )


class PegInput(StrictModel):
    """PEG (Krebs et al. 2009): three 0-10 items; the score is their mean (higher is worse)."""

    instrument: Literal[Instrument.peg]
    timepoint: Timepoint
    taken_on: JsonDate = Field(
        description="The day it was answered: not in the future, nor before the patient's "
        f"first plan starts (without a plan: not more than {MAX_DAYS_IN_THE_PAST} days ago)."
    )
    items: PegItems


class PsfsInput(StrictModel):
    """PSFS (Stratford et al. 1995): 3-5 activities the patient names, each 0-10; the score is
    their mean (higher is better)."""

    instrument: Literal[Instrument.psfs]
    timepoint: Timepoint
    taken_on: JsonDate = Field(
        description="The day it was answered: not in the future, nor before the patient's "
        f"first plan starts (without a plan: not more than {MAX_DAYS_IN_THE_PAST} days ago)."
    )
    activities: list[PsfsActivity] = Field(min_length=3, max_length=5)


OutcomeInput = Annotated[PegInput | PsfsInput, Field(discriminator="instrument")]


class OutcomeRequest(RootModel[OutcomeInput]):
    """A PEG or a PSFS, by `instrument`."""


class OutcomeItem(StrictModel):
    name: str = Field(description="The PEG item's id, or the PSFS activity as named.")
    score: int = Field(ge=0, le=10)


class StoredOutcome(StrictModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    instrument: Instrument
    timepoint: Timepoint
    taken_on: date
    items: list[OutcomeItem]
    score: float = Field(ge=0, le=10, description="The mean of the items, to two decimals.")
    higher_is_better: bool = Field(description="PSFS: true; PEG: false (it measures pain).")
    source: str
    created_at: AwareDatetime


class StoredOutcomePage(Page[StoredOutcome]):
    """A page of a patient's outcome measures, newest first."""


# --- daily logs --------------------------------------------------------------------------------


class LogListQuery(PageQuery):
    from_date: Omittable[JsonDate] = Field(
        default=None, description="The earliest date to list (inclusive)."
    )
    to_date: Omittable[JsonDate] = Field(
        default=None, description="The latest date to list (inclusive)."
    )


class StoredLog(DatedLog):
    # What a log left out is null here, as the response sends it (the input's schema says absent).
    pain_after_exercise: Nullable[Rating] = Field(
        default=None, description="Pain after the day's exercise, 0-10; null when not logged."
    )
    note: Nullable[Note] = Field(default=None, description="The patient's note; null without one.")
    patient_id: uuid.UUID
    triage: Triage | None = Field(
        description="The server's triage of the log's red-flag answers when it is emergency "
        "or urgent; null otherwise."
    )
    created_at: AwareDatetime
    updated_at: AwareDatetime


class StoredLogPage(Page[StoredLog]):
    """A page of a patient's daily logs, newest date first."""


class PlanRevisionPublic(StrictModel):
    number: int = Field(ge=1, description="1: the plan as generated.")
    created_at: AwareDatetime
    log_date: date | None = Field(description="The log whose storing made this revision.")
    changes: list[PlanChange] = Field(description="What this revision changed, and why.")


class PlanRevisionPage(Page[PlanRevisionPublic]):
    """A plan's revisions, newest first."""


class PlanRevisionDetail(PlanRevisionPublic):
    plan_id: uuid.UUID
    plan: Plan = Field(description="The plan as this revision left it.")
    diff: list[PlanDifference] = Field(
        description="What differs from the revision before, item by item (empty for 1)."
    )


class PatientProgressExport(PatientExport):
    """Everything stored for one patient (data portability), progress included."""

    plan_revisions: list[PlanRevisionDetail] = Field(
        description="Every revision of every plan (1: as generated), oldest first per plan, "
        "each with what differs from the one before."
    )
    logs: list[StoredLog] = Field(description="Every daily log, oldest first.")
    outcomes: list[StoredOutcome] = Field(description="Every outcome measure, oldest first.")
