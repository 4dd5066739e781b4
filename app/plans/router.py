from enum import StrEnum
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.assessments.dependencies import AssessmentsDep, ResultTokensDep
from app.catalogue.dependencies import CatalogueDep
from app.http.body import JsonBody
from app.http.problems import problem_responses
from app.http.query import StrictQueryRoute
from app.plans import examples
from app.plans.calendar import plan_to_ical
from app.plans.dependencies import PlannerDep
from app.plans.problems import NotEnoughTimeProblem, PlanRefusal
from app.plans.schemas import CALENDAR, CALENDAR_RESPONSE, Plan, PlanRequest

plan_body = JsonBody(PlanRequest, examples=examples.REQUESTS)

router = APIRouter(prefix="/v1/plans", tags=["plans"], route_class=StrictQueryRoute)


class PlanFormat(StrEnum):
    json = "json"
    ics = "ics"


@router.post(
    "/preview",
    response_model=Plan,
    summary="Preview a personalised 8-week plan",
    responses={
        200: {
            "description": "The plan as JSON, or as iCalendar with `format=ics` or "
            "`Accept: text/calendar`.",
            "content": CALENDAR_RESPONSE,
        },
        **problem_responses(
            400, 409, 413, 422, models={409: PlanRefusal, 422: NotEnoughTimeProblem}
        ),
    },
    openapi_extra=plan_body.openapi(),
)
async def preview_plan(
    request: Request,
    body: Annotated[bytes, Depends(plan_body)],
    catalogue: CatalogueDep,
    assessments: AssessmentsDep,
    tokens: ResultTokensDep,
    planner: PlannerDep,
    format: Annotated[
        PlanFormat | None,
        Query(description="`ics` for iCalendar; default JSON unless `Accept: text/calendar`."),
    ] = None,
) -> Response:
    """Stateless: stores nothing and needs no key. The assessment is answers the server scores
    or the `result_token` of `POST /v1/assessments/score`; a client never states a triage. The
    same request and dataset give the same plan, byte for byte. An emergency or urgent triage
    gives 409 `red_flag` with the triage; see_professional gives gentle mobility, breathing and
    the daily habits only. Too few minutes a day for the daily essentials gives 422 with the
    minimum; sessions that do not fit otherwise are listed in `cuts`."""
    wants_calendar = format is PlanFormat.ics or (
        format is None and CALENDAR in request.headers.get("accept", "")
    )
    media_type = f"{CALENDAR}; charset=utf-8" if wants_calendar else "application/json"
    rendered = planner.rendered(
        body, catalogue=catalogue, assessments=assessments, media_type=media_type
    )
    if rendered is None:
        # Generating and rendering is CPU work of milliseconds: off the event loop.
        rendered = await run_in_threadpool(
            partial(
                planner.render,
                body,
                plan_body.parse,
                catalogue=catalogue,
                assessments=assessments,
                tokens=tokens,
                media_type=media_type,
                render=plan_to_ical if wants_calendar else _plan_json,
            )
        )
    headers = {"Content-Disposition": 'attachment; filename="hip-spine-plan.ics"'}
    return Response(rendered, media_type=media_type, headers=headers if wants_calendar else None)


def _plan_json(plan: Plan) -> bytes:
    return plan.model_dump_json().encode()
