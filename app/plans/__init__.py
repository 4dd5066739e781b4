"""Eight-week plans: the pure generator, the planner that feeds it, and calendar export.

What other domains may use; everything else in this package is its own.
"""

from app.plans.calendar import plan_to_ical
from app.plans.dependencies import PlannerDep
from app.plans.problems import NotEnoughTimeProblem, PlanConflict
from app.plans.schemas import (
    AssessmentInput,
    AssessmentSource,
    Plan,
    PlanOptions,
    calendar_response,
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
    "AssessmentInput",
    "AssessmentSource",
    "NotEnoughTimeProblem",
    "Plan",
    "PlanConflict",
    "PlanOptions",
    "Planner",
    "PlannerDep",
    "ScoredBasis",
    "calendar_response",
    "options_of",
    "plan_to_ical",
    "refusal",
    "scored_answers",
    "scored_basis",
]
