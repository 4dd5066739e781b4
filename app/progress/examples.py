"""OpenAPI examples for `POST /v1/plans/adapt`: a request from the plans' desk-worker example
with three weeks of logs, and the response the adaptation gives it (computed, never written by
hand)."""

from datetime import date, timedelta
from typing import Any

from app.assessments import Assessments
from app.assessments.examples import EXAMPLE_TOKENS, NO_RED_FLAGS
from app.catalogue.examples import SNAPSHOT
from app.http.openapi_examples import shortened
from app.plans import Plan, Planner, PlanRequest
from app.plans import examples as plan_examples
from app.progress.adapter import Adapter
from app.progress.schemas import AdaptRequest

_PLAN_REQUEST = plan_examples.REQUESTS["desk_worker_tight_right_hip"]["value"]
_START = date.fromisoformat(_PLAN_REQUEST["start_date"])
_planner = Planner.load()
_assessments = Assessments.load()
_plan: Plan = _planner.preview(
    PlanRequest.model_validate(_PLAN_REQUEST),
    catalogue=SNAPSHOT,
    assessments=_assessments,
    tokens=EXAMPLE_TOKENS,
)
_DAYS = {day.date: day for week in _plan.weeks for day in week.days}


def _log(offset: int, pain: int, **extra: Any) -> dict[str, Any]:
    day = _START + timedelta(days=offset)
    return {
        "date": day.isoformat(),
        "pain": pain,
        "hip_mobility": 6,
        "relief_movements": [],
        "sessions_done": [session.id for session in _DAYS[day].sessions],
        "sharp_pain": [],
        "red_flags": NO_RED_FLAGS,
        **extra,
    }


_LOGS = [
    *(_log(n, 4) for n in range(7)),
    *(_log(n, 4, relief_movements=["standing-thoracic-rotation"]) for n in range(7, 9)),
    _log(9, 7, pain_after_exercise=6, note="Stiff after a long drive."),
    _log(10, 5, sharp_pain=[{"slug": "clamshell", "side": "left"}]),
]
# A red flag refuses as the preview does: the same problem body.
REFUSAL = plan_examples.REFUSAL
LAST_LOG_DATE = _START + timedelta(days=10)

REQUESTS: dict[str, dict[str, Any]] = {
    "eleven_days_of_logs": {
        "summary": "The desk worker's plan with 11 days of logs: relief, a pain rise, sharp pain",
        "value": {"plan": _PLAN_REQUEST, "logs": _LOGS},
    }
}

_adapted = Adapter.load().adapt_request(
    AdaptRequest.model_validate(REQUESTS["eleven_days_of_logs"]["value"]),
    planner=_planner,
    catalogue=SNAPSHOT,
    assessments=_assessments,
    tokens=EXAMPLE_TOKENS,
    today=LAST_LOG_DATE,
)
_response = _adapted.model_dump(mode="json")
# The plan as in the preview's example (every list but the weeks and days cut to one item);
# the changes whole.
ADAPTED = {
    "plan": shortened(
        _response["plan"], whole=frozenset({"weeks", "days"}), kept=frozenset({"inputs"})
    ),
    "changes": [{**change, "dates": change["dates"][:1]} for change in _response["changes"]],
}
