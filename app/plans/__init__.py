"""Eight-week plans: the pure generator, the planner that feeds it, and calendar export.

What other domains may use; everything else in this package is its own.
"""

from app.plans.calendar import plan_to_ical
from app.plans.dependencies import PlannerDep
from app.plans.generator import LOW_END, item_dose, item_minutes, items_minutes
from app.plans.problems import NotEnoughTimeProblem, PlanConflict, PlanRefusal
from app.plans.schemas import (
    AssessmentInput,
    AssessmentSource,
    ItemDose,
    Plan,
    PlanDay,
    PlanExercise,
    PlanItem,
    PlanOptions,
    PlanRequest,
    PlanSession,
    PlanWeek,
    SessionId,
    calendar_response,
    unique_items,
)
from app.plans.service import (
    Planner,
    ScoredBasis,
    options_of,
    refusal,
    scored_answers,
    scored_basis,
)

__all__ = [
    "LOW_END",
    "AssessmentInput",
    "AssessmentSource",
    "ItemDose",
    "NotEnoughTimeProblem",
    "Plan",
    "PlanConflict",
    "PlanDay",
    "PlanExercise",
    "PlanItem",
    "PlanOptions",
    "PlanRefusal",
    "PlanRequest",
    "PlanSession",
    "PlanWeek",
    "Planner",
    "PlannerDep",
    "ScoredBasis",
    "SessionId",
    "calendar_response",
    "item_dose",
    "item_minutes",
    "items_minutes",
    "options_of",
    "plan_to_ical",
    "refusal",
    "scored_answers",
    "scored_basis",
    "unique_items",
]
