"""OpenAPI examples for the patient routes, built from the stateless routes' own examples."""

from typing import Any

from app.plans.examples import REQUESTS as PLAN_REQUESTS

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
