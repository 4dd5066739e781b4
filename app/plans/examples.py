"""OpenAPI examples for plan preview: requests written from the guide's own profiles, and the
responses the generator gives them (computed, never written by hand)."""

from typing import Any

from app.assessments import Assessments
from app.assessments.examples import EXAMPLE_TOKENS, NO_RED_FLAGS
from app.assessments.examples import REQUESTS as ASSESSMENT_REQUESTS
from app.assessments.examples import RESPONSES as ASSESSMENT_RESPONSES
from app.catalogue.examples import SNAPSHOT
from app.core.errors import AppError
from app.http.openapi_examples import shortened
from app.http.problems import error_body
from app.plans.calendar import plan_to_ical
from app.plans.schemas import Plan, PlanRequest
from app.plans.service import Planner

REQUESTS: dict[str, dict[str, Any]] = {
    "desk_worker_tight_right_hip": {
        "summary": "Desk worker, tight right hip, a band at hand, 30 minutes a day",
        "value": {
            "assessment": {
                "kind": "answers",
                "answers": ASSESSMENT_REQUESTS["self_care"]["value"],
            },
            "pain_now": 4,
            "equipment": ["resistance_band"],
            "minutes_per_day": 30,
            "training_days": ["monday", "wednesday", "friday", "saturday"],
            "cardio": ["walking"],
            "start_date": "2026-12-07",
            "time_zone": "Europe/London",
            "working_hours": {"start": "09:00", "end": "17:00"},
        },
    },
    "no_equipment_15_minutes": {
        "summary": "No equipment and 15 minutes a day: the plan names what it cuts",
        "value": {
            "assessment": {
                "kind": "answers",
                "answers": {
                    **ASSESSMENT_REQUESTS["self_care"]["value"],
                    "tests": {
                        "hip_extension": {"left": "normal", "right": "normal"},
                        "seated_rotation": {"right": "normal", "left": "normal"},
                        "bridge": {"result": "lumbar_before_glutes"},
                    },
                },
            },
            "pain_now": 3,
            "equipment": [],
            "minutes_per_day": 15,
            "training_days": ["tuesday", "thursday", "saturday", "sunday"],
            "start_date": "2026-12-07",
            "time_zone": "America/New_York",
            "reminder_minutes_before": 5,
        },
    },
    "from_result_token": {
        "summary": "From the result_token of POST /v1/assessments/score (this one is signed with "
        "the examples' secret, so a server rejects it)",
        "value": {
            "assessment": {
                "kind": "result_token",
                "token": ASSESSMENT_RESPONSES["see_professional"]["value"]["result_token"],
            },
            "pain_now": 5,
            "equipment": [],
            "minutes_per_day": 25,
            "training_days": ["monday", "wednesday", "friday"],
            "start_date": "2026-12-07",
            "time_zone": "Europe/Dublin",
        },
    },
    "red_flag_refusal": {
        "summary": "A cauda-equina sign: no plan, 409 red_flag with the triage",
        "value": {
            "assessment": {
                "kind": "answers",
                "answers": {
                    **ASSESSMENT_REQUESTS["self_care"]["value"],
                    "red_flags": {**NO_RED_FLAGS, "urinary_difficulty_or_incontinence": True},
                },
            },
            "pain_now": 6,
            "equipment": [],
            "minutes_per_day": 20,
            "training_days": ["monday", "thursday"],
            "start_date": "2026-12-07",
            "time_zone": "Europe/Berlin",
        },
    },
}


# --- responses, computed by the generator from the requests above -------------------------------

_planner = Planner.load()
_assessments = Assessments.load()
_PREVIEW_PATH = "/v1/plans/preview"
EXAMPLE_REQUEST_ID = "0b6f1f1c9b7c4a5e8f0d2a1b3c4d5e6f"


def _plan(name: str) -> Plan:
    request = PlanRequest.model_validate(REQUESTS[name]["value"])
    return _planner.preview(
        request, catalogue=SNAPSHOT, assessments=_assessments, tokens=EXAMPLE_TOKENS
    )


def _problem(error: AppError) -> dict[str, Any]:
    return error_body(error, instance=_PREVIEW_PATH, request_id=EXAMPLE_REQUEST_ID)


def _refusal(request: dict[str, Any]) -> AppError:
    try:
        _planner.preview(
            PlanRequest.model_validate(request),
            catalogue=SNAPSHOT,
            assessments=_assessments,
            tokens=EXAMPLE_TOKENS,
        )
    except AppError as error:
        return error
    raise AssertionError("this example request must be refused")


_desk_worker = _plan("desk_worker_tight_right_hip")
# Every list cut to its first item, except the plan's eight weeks of seven days and the request
# it echoes: the whole plan is some 300 KB.
PLAN = shortened(
    _desk_worker.model_dump(mode="json"),
    whole=frozenset({"weeks", "days"}),
    kept=frozenset({"inputs"}),
)
# A calendar of the plan's first day: the whole one holds every session of eight weeks.
_first_day = _desk_worker.weeks[0].model_copy(update={"days": _desk_worker.weeks[0].days[:1]})
CALENDAR = plan_to_ical(_desk_worker.model_copy(update={"weeks": [_first_day]})).decode()
REFUSAL = _problem(_refusal(REQUESTS["red_flag_refusal"]["value"]))
NOT_ENOUGH_TIME = _problem(
    _refusal({**REQUESTS["no_equipment_15_minutes"]["value"], "minutes_per_day": 5})
)
