"""Plan requests and the generated 8-week plan.

Every constraint is in the JSON Schema: the weekday, equipment and cardio vocabularies, the
time zone (an IANA name, checked against the ``tzdata`` package so every machine accepts the
same names), the known finding codes, and the two ways of giving the assessment (a
discriminated union).
"""

import importlib.resources
from datetime import date, time
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from app.assessments.schemas import AssessmentAnswers, FindingCode, Triage, TriageLevel
from app.assessments.service import Assessments
from app.catalogue.schemas import Equipment, SessionKind, Side, Slug, StrictModel, Text
from app.core.types import JsonDate, JsonInt, LocalTime, NamedSchema, Omittable
from app.http.problems import Problem

ItemT = TypeVar("ItemT")

TIME_ZONE_FORMAT = "iana-time-zone"
TIME_ZONES: tuple[str, ...] = tuple(
    sorted(importlib.resources.files("tzdata").joinpath("zones").read_text().split())
)
_TIME_ZONE_SET = frozenset(TIME_ZONES)
_TIME_ZONE_HELP = (
    "An IANA time zone name, such as `Europe/London` or `America/New_York`: the tz database's "
    "names (https://en.wikipedia.org/wiki/List_of_tz_database_time_zones; in Python "
    "`zoneinfo.available_timezones()`, in JavaScript `Intl.supportedValuesOf('timeZone')`)."
)


def _known_time_zone(value: str) -> str:
    if value not in _TIME_ZONE_SET:
        raise PydanticCustomError(
            "unknown_time_zone",
            "Unknown time zone: give an IANA name such as 'Europe/London' or "
            "'America/New_York'; the list is at "
            "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones",
        )
    return value


TimeZone = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_known_time_zone),
    NamedSchema(
        "TimeZone",
        {
            "type": "string",
            "format": TIME_ZONE_FORMAT,
            "minLength": 1,
            "maxLength": 64,
            "description": _TIME_ZONE_HELP,
            "examples": ["Europe/London"],
        },
    ),
]


_ASSESSMENTS = Assessments.load()
# The codes of the findings a result can carry.
FINDING_CODES = tuple(sorted(_ASSESSMENTS.findings_by_code))
# Every code a result names (its triage reasons' red flags too): all are FindingCodes.
_KNOWN_CODES = frozenset(_ASSESSMENTS.finding_codes)


def _known_finding(value: str) -> str:
    if value not in _KNOWN_CODES:
        raise ValueError("Unknown finding code; see the FindingCode enum in the contract")
    return value


KnownFinding = Annotated[FindingCode, AfterValidator(_known_finding)]


class Weekday(StrEnum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"


class Cardio(StrEnum):
    walking = "walking"
    cycling = "cycling"


class WorkingHours(StrictModel):
    """An end at or before the start is a night shift that ends the next morning."""

    start: LocalTime
    end: LocalTime

    @property
    def minutes(self) -> int:
        span = (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)
        return span % (24 * 60) or 24 * 60


class FromAnswers(StrictModel):
    """Score these answers with the assessment core, then plan from the result."""

    kind: Literal["answers"]
    answers: AssessmentAnswers


class FromResult(StrictModel):
    """Plan from a result already scored by `POST /v1/assessments/score`."""

    kind: Literal["result"]
    triage: TriageLevel
    findings: list[KnownFinding] = Field(max_length=40)


def _unique(values: list[ItemT]) -> list[ItemT]:
    if len(set(values)) != len(values):
        raise ValueError("List items must be unique")
    return values


class PlanOptions(StrictModel):
    """Everything a plan is personalised by, apart from the assessment."""

    pain_now: JsonInt = Field(ge=0, le=10, description="Current pain, 0-10 (NPRS).")
    equipment: Annotated[list[Equipment], AfterValidator(_unique)] = Field(
        max_length=len(Equipment),
        json_schema_extra={"uniqueItems": True},
        description="What is at hand; empty for none. A household object counts as at hand.",
    )
    minutes_per_day: JsonInt = Field(ge=5, le=240, description="Time available each day.")
    training_days: Annotated[list[Weekday], AfterValidator(_unique)] = Field(
        min_length=1,
        max_length=7,
        json_schema_extra={"uniqueItems": True},
        description="Weekdays free for strength and cardio.",
    )
    cardio: Annotated[list[Cardio], AfterValidator(_unique)] = Field(
        default_factory=lambda: [Cardio.walking],
        min_length=1,
        max_length=2,
        json_schema_extra={"uniqueItems": True},
    )
    start_date: JsonDate
    time_zone: TimeZone
    working_hours: WorkingHours = Field(
        default_factory=lambda: WorkingHours(start=time(9), end=time(17)),
        description="When micro-breaks fall.",
    )
    working_days: Annotated[list[Weekday], AfterValidator(_unique)] = Field(
        default_factory=lambda: [
            Weekday.monday,
            Weekday.tuesday,
            Weekday.wednesday,
            Weekday.thursday,
            Weekday.friday,
        ],
        max_length=7,
        json_schema_extra={"uniqueItems": True},
        description="Days with sitting work, when the micro-breaks are scheduled.",
    )


class PlanRequest(PlanOptions):
    assessment: Annotated[FromAnswers | FromResult, Field(discriminator="kind")]


# --- the plan ----------------------------------------------------------------------------------


class ItemDose(StrictModel):
    sets: int | None
    reps: int | None
    per_side: bool
    hold_seconds: int | None
    minutes: float = Field(description="Time this item takes at this dose.")
    text: Text


class Why(StrictModel):
    rule_id: str
    week_focus: Text
    finding: FindingCode | None
    text: Text


class PlanItem(StrictModel):
    slug: Slug
    name: Text
    dose: ItemDose
    extra_volume_side: Side | None = Field(
        description="The restricted or tighter side of a per-side exercise (PG-2)."
    )
    extra_volume_dose: ItemDose | None = Field(
        description="That side's dose: the top of the guide's range (the other side does `dose`)."
    )
    why: Why


class PlanSession(StrictModel):
    kind: SessionKind
    start: LocalTime = Field(description="Local time in the plan's time zone.")
    minutes: float
    items: list[PlanItem]
    repeat_every_minutes: int | None = Field(
        description="Micro-breaks: repeat through the working hours at this interval."
    )
    repeats: int = Field(ge=1)


class PlanDay(StrictModel):
    date: date
    weekday: Weekday
    minutes: float = Field(description="Total for the day; never above minutes_per_day.")
    sessions: list[PlanSession]


class HabitFocus(StrictModel):
    slug: Slug
    name: Text
    tips: list[Text]


class WeekSummary(StrictModel):
    minutes: float
    sessions: int
    strength_days: int
    cardio_days: int


class PlanWeek(StrictModel):
    week: int = Field(ge=1, le=8)
    focus: Text
    frequency: Text
    source_section: Text
    habit_focus: list[HabitFocus]
    safety_rules: list[Text]
    summary: WeekSummary
    days: list[PlanDay] = Field(min_length=7, max_length=7)


class Adjustment(StrictModel):
    rule_id: str
    text: Text


class Plan(StrictModel):
    dataset_version: str
    ruleset_version: str
    generator_version: str
    input_hash: str = Field(description="SHA-256 of the canonical request: same input, same plan.")
    inputs: PlanRequest
    triage: TriageLevel
    findings: list[FindingCode]
    adjustments: list[Adjustment]
    weeks: list[PlanWeek] = Field(min_length=8, max_length=8)


# --- problems and media types the plan routes share ------------------------------------------

CALENDAR = "text/calendar"


class PlanRefusal(Problem):
    """409: a red flag means no plan; `triage` says why and what to do."""

    triage: Triage


class NotEnoughTimeProblem(Problem):
    minimum_minutes_per_day: Omittable[float] = Field(
        default=None,
        description="The fewest minutes a day that hold the daily essentials; present when "
        "`minutes_per_day` cannot.",
    )


def calendar_response(example: str) -> dict[str, Any]:
    """The 200 of a route that answers with iCalendar, ``example`` being its body."""
    return {
        "description": "The plan as RFC 5545 iCalendar: one event per session per day, in the "
        "plan's time zone.",
        "content": {
            CALENDAR: {
                "schema": {"type": "string", "description": "RFC 5545 iCalendar"},
                "examples": {"example": {"summary": "The first day's events", "value": example}},
            }
        },
    }
