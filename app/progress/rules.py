"""The adaptation rules as data: their shape, validation and version.

``data/adaptation.yaml`` holds every threshold and every rule (AD-1 to AD-6) with its source and
the reason a change shows. This module is pure; ``app.progress.adapter`` reads the file, so the
adaptation core never touches one.
"""

from typing import Self

from pydantic import Field, model_validator

from app.catalogue import SessionKind, StrictModel, Text
from app.core.versioning import content_version

FORMAT_VERSION = 1
RULE_IDS = tuple(f"AD-{number}" for number in range(1, 7))


class AdaptationRule(StrictModel):
    text: Text
    reason: Text = Field(description="The reason a change shows; `{...}` filled from the log.")
    source: Text
    review: Text | None = None


class AdaptationRules(StrictModel):
    format_version: int = Field(ge=FORMAT_VERSION, le=FORMAT_VERSION)
    baseline_days_before: int = Field(ge=1, le=28)
    baseline_first_week_days: int = Field(ge=1, le=14)
    meaningful_change: int = Field(ge=1, le=10)
    pain_after_exercise_limit: int = Field(ge=0, le=10)
    next_day_rise: int = Field(ge=1, le=10)
    next_day_kinds: list[SessionKind]
    window_days: int = Field(ge=1, le=28)
    adherence_for_progress: float = Field(gt=0, le=1)
    missing_log_days: int = Field(ge=1, le=28)
    relief_sessions: list[SessionKind]
    rules: dict[str, AdaptationRule]

    @model_validator(mode="after")
    def _every_rule(self) -> Self:
        if set(self.rules) != set(RULE_IDS):
            raise ValueError(f"rules must be exactly {', '.join(RULE_IDS)}")
        return self

    def rule(self, rule_id: str) -> AdaptationRule:
        return self.rules[rule_id]


def rules_version(rules: AdaptationRules) -> str:
    return content_version(rules.model_dump(mode="json"), format_version=FORMAT_VERSION)
