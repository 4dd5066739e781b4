"""OpenAPI examples for the patient routes, built from the stateless routes' own examples."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from app.assessments import AssessmentAnswers, AssessmentResult
from app.assessments.examples import REQUESTS as ASSESSMENT_REQUESTS
from app.assessments.examples import RESPONSES as ASSESSMENT_RESPONSES
from app.http.openapi_examples import shortened
from app.patients.schemas import (
    PatientPublic,
    PlanStatus,
    PlanStop,
    PlanStopReason,
    StoredAssessment,
    StoredPlanSummary,
)
from app.plans.examples import CALENDAR as CALENDAR
from app.plans.examples import NOT_ENOUGH_TIME as PLAN_PREVIEW_NOT_ENOUGH_TIME
from app.plans.examples import PLAN
from app.plans.examples import REFUSAL as PLAN_PREVIEW_REFUSAL
from app.plans.examples import REQUESTS as PLAN_REQUESTS

# The routes that take answers or serve a calendar show the stateless routes' own examples.
ANSWER_REQUESTS = ASSESSMENT_REQUESTS

PATIENT_REQUESTS: dict[str, dict[str, Any]] = {
    "desk_worker": {
        "summary": "A patient by the clinic's own reference, with a few bands",
        "value": {
            "external_reference": "clinic-7/patient-0042",
            "attributes": {"age_band": "40-49", "occupation": "desk", "sitting_hours_per_day": 8},
        },
    },
    "reference_only": {
        "summary": "Only the reference: nothing else is required",
        "value": {"external_reference": "A-1093"},
    },
}

_FROM_LATEST = {
    key: value
    for key, value in PLAN_REQUESTS["desk_worker_tight_right_hip"]["value"].items()
    if key != "assessment"
}

PLAN_REQUESTS_FOR_PATIENT: dict[str, dict[str, Any]] = {
    "from_latest_assessment": {
        "summary": "From the patient's latest stored assessment",
        "value": _FROM_LATEST,
    },
    "from_answers": {
        "summary": "From answers given in the request, scored by the server",
        "value": PLAN_REQUESTS["no_equipment_15_minutes"]["value"],
    },
}

PATIENT_CHANGES: dict[str, dict[str, Any]] = {
    "set_activity": {
        "summary": "Set one attribute, clear another; the rest stay",
        "value": {"attributes": {"activity_level": "light", "occupation": None}},
    },
    "new_reference": {
        "summary": "Change the reference",
        "value": {"external_reference": "clinic-7/patient-0042b"},
    },
}

STATUS_CHANGES: dict[str, dict[str, Any]] = {
    "pause": {"summary": "Pause an active plan", "value": {"status": "paused"}},
    "complete": {"summary": "Mark it completed (final)", "value": {"status": "completed"}},
}


# --- responses: what the routes return for the requests above -----------------------------------
# Ids and times are made up; the assessment result and the plan are computed by the scorer and
# the generator, their lists cut to their first items (the plan's as in the preview's example).

PATIENT_ID = uuid.UUID("3f0c5a52-8a5e-4c53-9d0e-2f1b7c6d8e90")
ASSESSMENT_ID = uuid.UUID("5d2b9c1e-6f4a-4e7b-8c3d-1a2b3c4d5e6f")
PLAN_ID = uuid.UUID("9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b")
_CREATED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
_UPDATED = datetime(2026, 11, 30, 18, 5, tzinfo=UTC)


def _json(model: BaseModel) -> Any:
    return model.model_dump(mode="json")


_patient = PatientPublic.model_validate(
    {
        **PATIENT_REQUESTS["desk_worker"]["value"],
        "id": PATIENT_ID,
        "created_at": _CREATED,
        "updated_at": _CREATED,
    }
)
PATIENT = _json(_patient)
PATIENT_PAGE = {"items": [PATIENT], "next_cursor": None}
_assessment = StoredAssessment(
    id=ASSESSMENT_ID,
    patient_id=PATIENT_ID,
    created_at=_CREATED,
    answers=AssessmentAnswers.model_validate(ASSESSMENT_REQUESTS["self_care"]["value"]),
    # Stored as scored, without the result token (a stored plan needs none).
    result=AssessmentResult.model_validate(
        {
            name: value
            for name, value in shortened(ASSESSMENT_RESPONSES["self_care"]["value"]).items()
            if name != "result_token"
        }
    ),
)
STORED_ASSESSMENT = _json(_assessment)
STORED_ASSESSMENT_PAGE = {"items": [STORED_ASSESSMENT], "next_cursor": None}
_summary = StoredPlanSummary(
    id=PLAN_ID,
    patient_id=PATIENT_ID,
    assessment_id=ASSESSMENT_ID,
    status=PlanStatus.active,
    revision=1,
    stop=None,
    created_at=_CREATED,
    updated_at=_UPDATED,
    start_date=PLAN["inputs"]["start_date"],
    dataset_version=PLAN["dataset_version"],
    ruleset_version=PLAN["ruleset_version"],
    generator_version=PLAN["generator_version"],
)
# An older plan, stopped when an assessment with a red flag was stored for the patient.
_stopped = _summary.model_copy(
    update={
        "id": uuid.UUID("1e7d3c5b-2a4f-4b6e-9c8d-7f6e5d4c3b2a"),
        "status": PlanStatus.stopped,
        "stop": PlanStop(
            reason=PlanStopReason.red_flag,
            stopped_at=_UPDATED,
            assessment_id=uuid.UUID("8c4e2a6b-3d5f-4a1c-9e7b-2d4f6a8c0e1b"),
            triage=shortened(ASSESSMENT_RESPONSES["emergency"]["value"])["triage"],
        ),
    }
)
STORED_PLAN_SUMMARY_PAGE = {"items": [_json(_summary), _json(_stopped)], "next_cursor": None}
# Large (it holds a plan), so kept once in the contract's components and referred to.
STORED_PLAN = {
    "summary": "An active plan made from the latest stored assessment",
    "value": {**_json(_summary), "plan": PLAN},
}
PATIENT_EXPORT = {
    "exported_at": "2026-12-01T08:00:00Z",
    "patient": PATIENT,
    "assessments": [STORED_ASSESSMENT],
    "plans": [],
}
_PLANS_PATH = f"/v1/patients/{PATIENT_ID}/plans"
PLAN_REFUSAL = {**PLAN_PREVIEW_REFUSAL, "instance": _PLANS_PATH}
NOT_ENOUGH_TIME = {**PLAN_PREVIEW_NOT_ENOUGH_TIME, "instance": _PLANS_PATH}
