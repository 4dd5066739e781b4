"""What storing a daily log did: the log, its triage, and each running plan's changes."""

import uuid

from pydantic import Field

from app.assessments import Triage
from app.catalogue import StrictModel
from app.patients import PlanStatus
from app.progress.schemas import PlanChange
from app.progress.stored import StoredLog


class PlanAdaptation(StrictModel):
    """What storing the log did to one of the patient's plans."""

    plan_id: uuid.UUID
    status: PlanStatus
    revision: int = Field(ge=1, description="The plan's revision now.")
    changes: list[PlanChange] = Field(
        description="The changes this log made (empty when the plan stayed as it was)."
    )


class LogWritten(StrictModel):
    log: StoredLog
    triage: Triage | None = Field(
        description="Emergency or urgent: every active or paused plan of the patient is now "
        "stopped, with this triage."
    )
    plans: list[PlanAdaptation] = Field(
        description="Each plan that was active or paused before the log was stored."
    )
