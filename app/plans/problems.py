"""The problem+json bodies of the plan routes that carry more than the standard members.

Apart from the plan schemas, so the pure generator, which reads those, imports nothing of HTTP.
"""

from pydantic import Field

from app.assessments import Triage
from app.core.types import Omittable
from app.http.problems import Problem


class PlanRefusal(Problem):
    """409 `red_flag`: an emergency or urgent triage means no plan; `triage` says why and what
    to do."""

    triage: Triage


class PlanConflict(Problem):
    """409 on a stored plan: `red_flag` (an emergency or urgent triage, with `triage`),
    `no_stored_assessment` or `stored_assessment_outdated` (planning from the latest stored
    assessment, without `triage`), or `idempotency_key_in_progress`."""

    triage: Omittable[Triage] = Field(default=None, description="Sent when `code` is `red_flag`.")


class NotEnoughTimeProblem(Problem):
    minimum_minutes_per_day: Omittable[int] = Field(
        default=None,
        description="The fewest minutes a day that hold the daily essentials; present when "
        "`minutes_per_day` cannot.",
    )
