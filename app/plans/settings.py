"""The generator's settings and rules as data: their shape, validation and version.

``data/generator.yaml`` holds how a plan lays the guide's table out in a week and a day, and
every layout rule (PG-*) with its source. This module is pure: ``app.plans.service`` reads the
file, so the generator never touches one.
"""

from datetime import time
from typing import Self

from pydantic import Field, model_validator

from app.catalogue import Equipment, SessionKind, Slug, StrictModel, Text
from app.core.versioning import content_version

WEEKS = 8
FORMAT_VERSION = 3
RULE_IDS = tuple(f"PG-{number}" for number in range(1, 12))


class WeekLevels(StrictModel):
    """Where a week sits in the guide's ranges: 0 is the low end, 1 the high end."""

    volume: float = Field(ge=0, le=1, description="Reps, sets and minutes.")
    holds: float = Field(ge=0, le=1, description="Hold seconds.")
    heavier_load: bool = Field(description="The loaded exercises use a heavier load.")


class LayoutRule(StrictModel):
    text: Text
    source: Text
    review: Text | None = None


class LoadGuidance(StrictModel):
    standard: Text
    heavier: Text


class GeneratorSettings(StrictModel):
    format_version: int = Field(ge=FORMAT_VERSION, le=FORMAT_VERSION)
    start_times: dict[SessionKind, time]
    micro_break_interval_minutes: int = Field(ge=30, le=60)
    always_at_hand: list[Equipment]
    weeks: list[WeekLevels] = Field(min_length=WEEKS, max_length=WEEKS)
    gentle_pain_from: int = Field(ge=0, le=10)
    gentle_weeks: list[WeekLevels] = Field(min_length=WEEKS, max_length=WEEKS)
    gentle_strength_delay_weeks: int = Field(ge=0, le=3)
    gentle_sessions_from_week_1: list[SessionKind]
    extra_volume_step: float = Field(gt=0, le=1)
    keep_first: list[SessionKind]
    essentials: list[SessionKind]
    shorten_to_fit: list[SessionKind]
    see_professional_sessions: list[SessionKind]
    loaded_exercises: list[Slug]
    load_guidance: LoadGuidance
    retest_weeks: list[int] = Field(max_length=WEEKS)
    retest_text: Text
    stop_rule: Text
    rules: dict[str, LayoutRule]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = set(SessionKind) - {SessionKind.micro_break} - set(self.start_times)
        if missing:
            raise ValueError(f"start_times lacks {sorted(missing)}")
        if sorted(self.keep_first) != sorted(SessionKind):
            raise ValueError("keep_first must list every session kind once")
        if self.keep_first[: len(self.essentials)] != self.essentials:
            raise ValueError("the essentials come first in keep_first")
        if any(not 1 <= week <= WEEKS for week in self.retest_weeks):
            raise ValueError(f"retest_weeks must be weeks 1 to {WEEKS}")
        if set(RULE_IDS) != set(self.rules):
            raise ValueError(f"rules must be exactly {', '.join(RULE_IDS)}")
        return self

    def rule(self, rule_id: str) -> str:
        return self.rules[rule_id].text


def settings_version(settings: GeneratorSettings) -> str:
    return content_version(settings.model_dump(mode="json"), format_version=FORMAT_VERSION)
