"""OpenAPI examples: one request per triage level, the responses the scorer gives them, and the
definitions the API serves.

The responses are computed from the content and ruleset files, never written by hand, so the
published examples are always what the API really answers (the result tokens are signed with
an example secret, so they are valid in shape but not on a server).
"""

import json
from typing import Any

from app.assessments.schemas import AssessmentAnswers, RedFlagAnswers
from app.assessments.service import Assessments
from app.assessments.tokens import ResultTokens
from app.catalogue.examples import SNAPSHOT

NO_RED_FLAGS = dict.fromkeys(RedFlagAnswers.model_fields, False)
EXAMPLE_TOKENS = ResultTokens(b"an example secret: tokens in the examples are not valid")

REQUESTS: dict[str, dict[str, Any]] = {
    "self_care": {
        "summary": "Desk worker: tight right hip, low back works before the glutes",
        "value": {
            "tests": {
                "hip_extension": {"left": "normal", "right": "restricted"},
                "seated_rotation": {"right": "tighter", "left": "normal"},
                "bridge": {"result": "lumbar_before_glutes"},
            },
            "intake": {"pain_now": 4, "pain_weeks": 3, "sharp_or_shooting_pain": False},
            "red_flags": NO_RED_FLAGS,
        },
    },
    "see_professional": {
        "summary": "Pain for ten weeks; bridge skipped on purpose",
        "value": {
            "tests": {
                "hip_extension": {"left": "normal", "right": "normal"},
                "seated_rotation": {"right": "limited", "left": "normal"},
                "bridge": "skipped",
            },
            "intake": {"pain_now": 5, "pain_weeks": 10, "sharp_or_shooting_pain": False},
            "red_flags": NO_RED_FLAGS,
        },
    },
    "urgent": {
        "summary": "Fever with back pain: prompt medical assessment, no exercises, no score",
        "value": {
            "tests": {
                "hip_extension": {"left": "normal", "right": "normal"},
                "seated_rotation": {"right": "normal", "left": "normal"},
                "bridge": {"result": "glutes_first"},
            },
            "intake": {"pain_now": 5, "pain_weeks": 2, "sharp_or_shooting_pain": False},
            "red_flags": {**NO_RED_FLAGS, "fever_or_unwell": True},
        },
    },
    "emergency": {
        "summary": "Saddle numbness (a cauda-equina sign): emergency department now",
        "value": {
            "tests": {
                "hip_extension": {"left": "restricted", "right": "restricted"},
                "seated_rotation": {"right": "normal", "left": "normal"},
                "bridge": {"result": "painful"},
            },
            "intake": {"pain_now": 8, "pain_weeks": 1, "sharp_or_shooting_pain": True},
            "red_flags": {**NO_RED_FLAGS, "saddle_numbness": True},
        },
    },
}


_assessments = Assessments.load()
RESPONSES: dict[str, dict[str, Any]] = {
    level: {
        "summary": example["summary"],
        "value": _assessments.scored(
            AssessmentAnswers.model_validate(example["value"]), SNAPSHOT, EXAMPLE_TOKENS
        ).model_dump(mode="json"),
    }
    for level, example in REQUESTS.items()
}
DEFINITIONS = json.loads(_assessments.definitions(SNAPSHOT).body)
