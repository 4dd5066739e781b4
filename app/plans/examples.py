"""OpenAPI examples for plan preview, written from the guide's own profiles."""

from typing import Any

from app.assessments.examples import NO_RED_FLAGS
from app.assessments.examples import REQUESTS as ASSESSMENT_REQUESTS
from app.assessments.examples import RESPONSES as ASSESSMENT_RESPONSES

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
