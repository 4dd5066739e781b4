"""Plan requests and the generated 8-week plan.

Every constraint is in the JSON Schema: the weekday, equipment and cardio vocabularies, the
time zone (an IANA name, checked against the ``tzdata`` package so every machine accepts the
same names), and the two ways of giving the assessment (a discriminated union): answers the
server scores, or a result token the server signed. A client never asserts a triage or findings
itself.
"""

import importlib.resources
import uuid
from datetime import date, time
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from app.assessments import (
    RESULT_TOKEN_MAX_LENGTH,
    AssessmentAnswers,
    FindingCode,
    TestName,
    Triage,
)
from app.catalogue import Equipment, SessionKind, Side, Slug, StrictModel, Text
from app.core.types import JsonDate, JsonInt, LocalTime, NamedSchema, ServerDefault

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


class FromResultToken(StrictModel):
    """Plan from a result already scored by `POST /v1/assessments/score`, by its
    `result_token` (valid while the ruleset and dataset versions it was scored with are
    current; otherwise a 422 `outdated_result_token`)."""

    kind: Literal["result_token"]
    token: str = Field(min_length=1, max_length=RESULT_TOKEN_MAX_LENGTH)


AssessmentInput = Annotated[FromAnswers | FromResultToken, Field(discriminator="kind")]


def unique_items(values: list[ItemT]) -> list[ItemT]:
    if len(set(values)) != len(values):
        raise ValueError("List items must be unique")
    return values


class PlanOptions(StrictModel):
    """Everything a plan is personalised by, apart from the assessment."""

    pain_now: JsonInt = Field(
        ge=0,
        le=10,
        description="Current pain, 0-10 (NPRS). The plan's gentleness follows the highest pain "
        "the request reports, this or the assessment's.",
    )
    equipment: Annotated[list[Equipment], AfterValidator(unique_items)] = Field(
        max_length=len(Equipment),
        json_schema_extra={"uniqueItems": True},
        description="What is at hand; empty for none. A household object and a chair always "
        "count as at hand (the guide's deadlift takes a household object, and the micro-breaks "
        "are for people who sit).",
    )
    minutes_per_day: JsonInt = Field(ge=5, le=240, description="Time available each day.")
    training_days: Annotated[list[Weekday], AfterValidator(unique_items)] = Field(
        min_length=1,
        max_length=7,
        json_schema_extra={"uniqueItems": True},
        description="Weekdays free for strength and cardio.",
    )
    cardio: Annotated[list[Cardio], AfterValidator(unique_items)] = Field(
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
    working_days: Annotated[list[Weekday], AfterValidator(unique_items)] = Field(
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
    reminder_minutes_before: ServerDefault[JsonInt] = Field(
        default=10,
        ge=0,
        le=240,
        description="Calendar reminders (VALARM) this many minutes before each session; 0 at "
        "its start. Default 10.",
    )


class PlanRequest(PlanOptions):
    assessment: AssessmentInput


# --- the plan ----------------------------------------------------------------------------------


class ItemDose(StrictModel):
    sets: int | None
    reps: int | None
    per_side: bool
    hold_seconds: int | None
    minutes: float = Field(description="Time this item takes at this dose.")
    load: Text | None = Field(description="What to hold, for the loaded exercises.")
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
        description="A stiff, pain-free side of a per-side exercise (PG-2): it does "
        "`extra_volume_dose`, the other side `dose`."
    )
    extra_volume_dose: ItemDose | None
    gentler_side: Side | None = Field(
        description="A side whose self-test was painful in this exercise's movement (PG-9): it "
        "stays at the low end, `gentler_side_dose`, never more than the other side."
    )
    gentler_side_dose: ItemDose | None
    only_side: Side | None = Field(
        description="Only this side does the item: sharp pain on the other side swapped it "
        "there (AD-3). Null: both sides, or an item not done per side."
    )
    caution: Text | None = Field(
        description="Why this item is gentler than planned or replaces another (PG-9, PG-3, "
        "and a progress log's AD-2, AD-3)."
    )
    why: Why


SESSION_ID_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\.[a-z_]+(?:-[0-9]+)?$"
SessionId = Annotated[
    str,
    StringConstraints(pattern=SESSION_ID_PATTERN, max_length=48),
    NamedSchema(
        "SessionId",
        {
            "type": "string",
            "pattern": SESSION_ID_PATTERN,
            "maxLength": 48,
            "description": "A session of a plan: its date and kind, `-2` for the second "
            "session of one kind that day; a day's micro-breaks are one session.",
            "examples": ["2026-12-01.strength"],
        },
    ),
]


def session_id(day: date, kind: SessionKind, number: int = 1) -> str:
    """The id of the ``number``-th session of ``kind`` on ``day`` (the calendar's UID rule)."""
    suffix = f"-{number}" if number > 1 else ""
    return f"{day.isoformat()}.{kind.value}{suffix}"


class PlanSession(StrictModel):
    id: SessionId = Field(
        description="Stable within the plan: what a progress log's `sessions_done` names."
    )
    kind: SessionKind
    start: LocalTime = Field(description="Local time in the plan's time zone.")
    minutes: float
    items: list[PlanItem] = Field(
        description="Micro-breaks: pick one item per break; the others: do every item."
    )
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


class KindTally(StrictModel):
    kind: SessionKind
    wanted: int = Field(ge=0, description="Sessions the guide's table asks for this week.")
    scheduled: int = Field(ge=0, description="Sessions this week holds; the rest are in `cuts`.")


class WeekSummary(StrictModel):
    minutes: float
    sessions: int
    strength_days: int
    cardio_days: int
    table: list[KindTally]


class Retest(StrictModel):
    """The guide's three self-tests again (PG-11), on the week's first day (`date`), compared
    with the first assessment."""

    rule_id: str
    date: date
    tests: list[TestName]
    text: Text


class PlanWeek(StrictModel):
    week: int = Field(ge=1, le=8)
    focus: Text
    frequency: Text
    source_section: Text
    care_advice: Text | None = Field(
        description="With triage see_professional: see a professional, and why (PG-8)."
    )
    habit_focus: list[HabitFocus]
    safety_rules: list[Text]
    summary: WeekSummary
    retest: Retest | None = Field(description="Weeks 4 and 8: a re-test of the self-tests.")
    days: list[PlanDay] = Field(min_length=7, max_length=7)


class Adjustment(StrictModel):
    rule_id: str
    text: Text


class CutReason(StrEnum):
    triage = "triage"
    pain = "pain"
    training_days = "training_days"
    minutes = "minutes"
    equipment = "equipment"


class SessionCut(StrictModel):
    """Sessions of one kind the table asks for in a week that the plan does not hold."""

    week: int = Field(ge=1, le=8)
    kind: SessionKind
    wanted: int = Field(ge=1)
    cut: int = Field(ge=1)
    reason: CutReason
    text: Text = Field(examples=["Week 4: cardio 3 of 4 sessions cut: ..."])


class AssessmentSource(StrEnum):
    answers = "answers"
    result_token = "result_token"
    stored_assessment = "stored_assessment"


class PlanAssessment(StrictModel):
    """What the plan was built from, as the server scored it."""

    source: AssessmentSource
    assessment_id: uuid.UUID | None = Field(
        description="The stored assessment, when the plan was made from one."
    )
    triage: Triage
    findings: list[FindingCode]
    pain_now: int = Field(
        ge=0, le=10, description="The highest pain the request and its assessment report."
    )


class PlanExercise(StrictModel):
    """How to do an exercise the plan uses, as the catalogue said when it was made."""

    slug: Slug
    name: Text
    steps: list[Text]


class Plan(StrictModel):
    dataset_version: str
    ruleset_version: str
    generator_version: str
    input_hash: str = Field(description="SHA-256 of the canonical request: same input, same plan.")
    inputs: PlanOptions
    assessment: PlanAssessment
    adjustments: list[Adjustment]
    cuts: list[SessionCut] = Field(
        description="Every session the table asks for that the plan does not hold, by week and "
        "kind in the order sessions are kept, with the reason."
    )
    minutes_per_day_for_full_plan: int = Field(
        description="The minutes a day at which nothing would be cut for lack of time."
    )
    stop_rule: Text
    exercises: list[PlanExercise]
    weeks: list[PlanWeek] = Field(min_length=8, max_length=8)


# --- the media type the plan routes share -----------------------------------------------------

CALENDAR = "text/calendar"


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
