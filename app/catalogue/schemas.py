"""The catalogue's public shapes, which are also the schema of the content data files.

One shape serves both: what a content author writes in ``data/*.yaml`` is validated by these
models on load (unknown keys rejected), and the API publishes exactly the same fields.
"""

from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.core.types import JsonInt
from app.http.pagination import Page

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class Category(StrEnum):
    mobility = "mobility"
    strength = "strength"
    micro_break = "micro_break"
    cardio = "cardio"
    flexibility = "flexibility"
    breathing = "breathing"


class Target(StrEnum):
    hip_flexors = "hip_flexors"
    glutes = "glutes"
    hip_rotators = "hip_rotators"
    hip_abductors = "hip_abductors"
    core = "core"
    thoracic_spine = "thoracic_spine"
    lumbar = "lumbar"


class Position(StrEnum):
    standing = "standing"
    seated = "seated"
    half_kneeling = "half_kneeling"
    kneeling = "kneeling"
    quadruped = "quadruped"
    supine = "supine"
    prone = "prone"
    side_lying = "side_lying"
    squatting = "squatting"


class Equipment(StrEnum):
    resistance_band = "resistance_band"
    light_weights = "light_weights"
    household_object = "household_object"
    bicycle = "bicycle"
    chair = "chair"


class Difficulty(StrEnum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


class SessionKind(StrEnum):
    """The plan's sessions, named after the guide's 8-week table."""

    morning_mobility = "morning_mobility"
    micro_break = "micro_break"
    strength = "strength"
    cardio = "cardio"
    evening_flexibility = "evening_flexibility"
    mind_body = "mind_body"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(StrictModel):
    """An inclusive range; ``minimum == maximum`` for a single value. Published as one of its
    two kinds (field names that no client generator has to rename, unlike ``min``/``max``)."""

    minimum: float = Field(ge=0)
    maximum: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.minimum > self.maximum:
            raise ValueError("minimum must not exceed maximum")
        return self


class CountRange(Range):
    """A count (sets, reps, seconds, times a week): whole numbers, ``minimum == maximum`` for
    a single value."""

    minimum: JsonInt = Field(ge=0)
    maximum: JsonInt = Field(ge=0)


class MinutesRange(Range):
    """A time in minutes, which may be fractional (half a minute for a 30-second hold)."""


def _every_field_required(schema: dict[str, Any]) -> None:
    """The API sends every field (null where the guide gives no such number); only the data
    files may leave one out, so the published schema requires them all."""
    schema["required"] = list(schema["properties"])


class Frequency(StrictModel):
    model_config = ConfigDict(json_schema_extra=_every_field_required)

    text: Text = Field(examples=["three times per week"])
    times_per_week: CountRange | None = Field(
        default=None, description="How many days a week; 7 for daily."
    )
    every_minutes_of_sitting: CountRange | None = Field(
        default=None, description="For micro-breaks: one every N minutes of sitting."
    )


class Dose(StrictModel):
    """The guide's default dose. Null means the guide sets no such number for this exercise."""

    model_config = ConfigDict(json_schema_extra=_every_field_required)

    sets: CountRange | None = None
    reps: CountRange | None = None
    per_side: bool = Field(description="Reps, holds or marches are counted for each side.")
    hold_seconds: CountRange | None = None
    duration_minutes: MinutesRange = Field(
        description="How long one bout takes at this dose; see `duration_is_estimate`."
    )
    duration_is_estimate: bool = Field(
        description="True when the guide gives no time for the single exercise and this is the "
        "API's estimate (used for `max_minutes` and plan time budgets)."
    )
    frequency: Frequency
    text: Text = Field(description="The dose as the guide words it.")


class ExercisePublic(StrictModel):
    slug: Slug
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    category: Category
    summary: Text
    targets: list[Target] = Field(min_length=1)
    position: Position
    equipment: list[Equipment] = Field(
        description="Any one of these is enough; empty means no equipment is needed."
    )
    steps: list[Text] = Field(min_length=1)
    cues: list[Text]
    cautions: list[Text]
    dose: Dose
    difficulty: Difficulty
    sessions: list[SessionKind] = Field(
        min_length=1, description="The plan sessions this exercise belongs to."
    )
    progressions: list[Slug] = Field(description="Harder variations, by slug.")
    regressions: list[Slug] = Field(description="Gentler variations, by slug.")
    source_section: Text = Field(description="The guide section this item comes from.")
    source_text: Text = Field(description="The guide's own words this item is built from.")


class ExercisePage(Page[ExercisePublic]):
    """A page of exercises."""


class Side(StrEnum):
    left = "left"
    right = "right"


class TimeOfDay(StrEnum):
    morning = "morning"
    work_hours = "work_hours"
    evening = "evening"
    any = "any"


class SourcedItem(StrictModel):
    source_section: Text = Field(description="The guide section this item comes from.")
    source_text: Text = Field(description="The guide's own words this item is built from.")


class SelfAssessmentDefinition(SourcedItem):
    slug: Slug
    name: Text
    instructions: list[Text] = Field(min_length=1)
    sides: list[Side] = Field(
        description="Sides scored separately (the leg for hip extension, the rotation direction "
        "for seated rotation); empty when the test is not per side."
    )
    poor_result_indicates: Text
    targets: list[Target] = Field(min_length=1)


class Habit(SourcedItem):
    slug: Slug
    name: Text
    tips: list[Text] = Field(min_length=1)


class FaqEntry(SourcedItem):
    slug: Slug
    question: Text
    answer: Text


class SafetyRule(SourcedItem):
    slug: Slug
    title: Text
    rule: Text


class RedFlag(SourcedItem):
    slug: Slug
    name: Text
    description: Text
    source: Text = Field(description="Who says this is a red flag: the guide, or NICE NG59.")


class SessionDefinition(SourcedItem):
    """A recurring block of the plan (morning mobilisation, micro-breaks, ...) per the guide."""

    kind: SessionKind
    name: Text
    time_of_day: TimeOfDay
    frequency: Frequency
    duration_minutes: MinutesRange
    exercises: list[Slug] = Field(min_length=1)


class PlanTemplateWeek(SourcedItem):
    week: int = Field(ge=1, le=8)
    focus: Text
    frequency: Frequency
    adds_sessions: list[SessionKind] = Field(
        description="Sessions this week's row introduces; the plan is cumulative."
    )
    featured_exercises: list[Slug] = Field(description="Exercises the row names, by slug.")
    habit_focus: list[Slug] = Field(description="Daily habits this week emphasises, by slug.")


class Guidance(StrictModel):
    self_assessments: list[SelfAssessmentDefinition] = Field(min_length=1)
    habits: list[Habit] = Field(min_length=1)
    faq: list[FaqEntry] = Field(min_length=1)
    safety_rules: list[SafetyRule] = Field(min_length=1)
    red_flags: list[RedFlag] = Field(min_length=1)
    sessions: list[SessionDefinition] = Field(min_length=1)
    plan_template: list[PlanTemplateWeek] = Field(min_length=8, max_length=8)
    progress_log_advice: SourcedItem


class CataloguePublic(StrictModel):
    """The whole dataset in one response, for apps that work offline."""

    dataset_version: str = Field(examples=["1-3f9c2a7b1d4e"])
    exercises: list[ExercisePublic]
    guidance: Guidance


class VersionedModel(StrictModel):
    dataset_version: str = Field(examples=["1-3f9c2a7b1d4e"])


class SelfAssessmentList(VersionedModel):
    items: list[SelfAssessmentDefinition]


class HabitList(VersionedModel):
    items: list[Habit]


class FaqList(VersionedModel):
    items: list[FaqEntry]


class SafetyGuidance(VersionedModel):
    rules: list[SafetyRule]
    red_flags: list[RedFlag]


class PlanTemplate(VersionedModel):
    weeks: list[PlanTemplateWeek]
    sessions: list[SessionDefinition]
    progress_log_advice: SourcedItem


class GuidancePublic(VersionedModel):
    guidance: Guidance
