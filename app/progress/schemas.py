"""Progress: the wire shapes of daily logs, plan changes and the stateless adaptation.

The guide ends its plan with "Keep a simple log noting pain levels (0–10), hip mobility, and
which movements bring the most relief. Adjust intensity to match your progress." A log is that
note, plus which of the plan's sessions were done, any sharp pain and the assessment's red-flag
questions (which the server scores; a client never sends a triage).
"""

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from app.assessments import FindingCode, RedFlagAnswers, RuleId
from app.catalogue import Side, Slug, StrictModel, Text
from app.core.types import JsonDate, JsonInt, Omittable, PlainText
from app.plans import Plan, PlanItem, PlanRequest, SessionId, unique_items

MAX_LOGS = 56  # one a day of the plan's 8 weeks
MAX_RELIEF_MOVEMENTS = 10
MAX_SESSIONS_DONE = 20
MAX_SHARP_PAIN = 10
MAX_NOTE_LENGTH = 500

# 0-10, as a JSON integer; the bounds come before the validator so the schema states them.
Rating = Annotated[int, Field(ge=0, le=10), *JsonInt.__metadata__]
Note = Annotated[str, StringConstraints(max_length=MAX_NOTE_LENGTH), *PlainText.__metadata__]


class SharpPain(StrictModel):
    """An exercise that gave sharp pain, and on which side (none for an exercise not done per
    side, or when it hurt on both)."""

    slug: Slug
    side: Side | None


class DailyLogInput(StrictModel):
    """One day's log."""

    pain: Rating = Field(
        description="The day's typical pain, 0-10 (the numeric rating scale, NPRS)."
    )
    pain_after_exercise: Omittable[Rating] = Field(
        default=None, description="Pain after the day's exercise, 0-10; absent on a rest day."
    )
    hip_mobility: Rating = Field(description="How freely the hips move today, 0-10 (10 freely).")
    relief_movements: Annotated[list[Slug], AfterValidator(unique_items)] = Field(
        max_length=MAX_RELIEF_MOVEMENTS,
        json_schema_extra={"uniqueItems": True},
        description="Catalogue exercises that brought the most relief.",
    )
    sessions_done: Annotated[list[SessionId], AfterValidator(unique_items)] = Field(
        max_length=MAX_SESSIONS_DONE,
        json_schema_extra={"uniqueItems": True},
        description="The plan's sessions of this day that were done, by their `id`.",
    )
    sharp_pain: Annotated[list[SharpPain], AfterValidator(unique_items)] = Field(
        max_length=MAX_SHARP_PAIN,
        json_schema_extra={"uniqueItems": True},
        description="Exercises that gave sharp or shooting pain: each is swapped on that side "
        "for the rest of the plan (AD-3). Replacing the log cannot withdraw a report "
        "(422 `sharp_pain_withdrawn`).",
    )
    red_flags: RedFlagAnswers = Field(
        description="The assessment's red-flag questions, asked again: any yes that gives an "
        "emergency or urgent triage stops the plan."
    )
    note: Omittable[Note] = Field(
        default=None,
        description="A short note of the patient's own: text, tabs and line breaks, no other "
        "control characters.",
    )


class DatedLog(DailyLogInput):
    date: JsonDate = Field(description="The local date the log is for (the plan's time zone).")


class ChangeKind(StrEnum):
    """What an adaptation did: `stopped` (a red flag), `progression_held` (no harder doses
    than the days before), `stepped_back` (regressions or the low end of the range),
    `swapped` (an exercise replaced on one side, or both), `progressed` (up as the guide's table
    allows), `relief_prioritised` (movements that bring relief first in the rotation)."""

    stopped = "stopped"
    progression_held = "progression_held"
    stepped_back = "stepped_back"
    swapped = "swapped"
    progressed = "progressed"
    relief_prioritised = "relief_prioritised"


class PlanChange(StrictModel):
    """One change to the plan's remaining days, with the rule and the reason."""

    rule_id: RuleId
    source: Text = Field(description="Where the rule comes from: the guide or a named paper.")
    reason: Text = Field(description="Why, in plain words, with the log's numbers.")
    kind: ChangeKind
    from_date: date = Field(description="The first day the change applies to.")
    dates: list[date] = Field(description="Every day the change altered.")
    slug: Slug | None = Field(description="The exercise changed, when one is.")
    side: Side | None = Field(description="The side changed, when only one is.")
    replacement: Slug | None = Field(description="What replaces `slug` (`swapped`).")


def _unique_dates(logs: list[DatedLog]) -> list[DatedLog]:
    if len({log.date for log in logs}) != len(logs):
        raise PydanticCustomError("duplicate_date", "One log per date: two logs have the same date")
    return logs


class AdaptRequest(StrictModel):
    plan: PlanRequest = Field(description="The same body as `POST /v1/plans/preview`.")
    logs: Annotated[list[DatedLog], AfterValidator(_unique_dates)] = Field(
        max_length=MAX_LOGS,
        description="The logs the app kept, one per date, any order, from the plan's first day to "
        "today (its time zone).",
    )


class AdaptedPlan(StrictModel):
    plan: Plan = Field(description="The plan with the logs applied to the days after each log.")
    changes: list[PlanChange] = Field(description="What changed, in the order the logs did it.")


class DifferenceKind(StrEnum):
    added = "added"
    removed = "removed"
    changed = "changed"
    reordered = "reordered"


class PlanDifference(StrictModel):
    """One item of one session that differs between two revisions of a plan (`reordered`: the
    session's items are the same, in another order; `slug`, `before` and `after` are null)."""

    date: JsonDate
    session_id: SessionId
    kind: DifferenceKind
    slug: Slug | None
    before: PlanItem | None
    after: PlanItem | None


class FindingsComparison(StrictModel):
    """A re-test's findings against the first assessment's."""

    resolved: list[FindingCode] = Field(description="In the first assessment, not the re-test.")
    persisting: list[FindingCode] = Field(description="In both.")
    new: list[FindingCode] = Field(description="In the re-test only.")
