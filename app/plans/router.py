from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool

from app.assessments import Assessments, AssessmentsDep, ResultTokens, ResultTokensDep
from app.catalogue import CatalogueDep, CatalogueSnapshot
from app.http.body import JsonBody
from app.http.openapi_examples import example_response
from app.http.problems import problem_responses
from app.http.query import NoQuery
from app.plans import examples
from app.plans.calendar import plan_to_ical
from app.plans.dependencies import PlannerDep
from app.plans.problems import NotEnoughTimeProblem, PlanRefusal
from app.plans.schemas import CALENDAR, Plan, PlanRequest, calendar_response
from app.plans.service import Planner

plan_body = JsonBody(PlanRequest, examples=examples.REQUESTS)

router = APIRouter(prefix="/v1/plans", tags=["plans"])

_PREVIEW_ERRORS = problem_responses(
    400, 409, 413, 422, models={409: PlanRefusal, 422: NotEnoughTimeProblem}
)
_PREVIEW_ERRORS[409].update(example_response(examples.REFUSAL, summary="A red flag: no plan"))
_PREVIEW_ERRORS[422].update(
    example_response(
        examples.NOT_ENOUGH_TIME, summary="Five minutes a day cannot hold the essentials"
    )
)
_JSON = "application/json"
_ICALENDAR = f"{CALENDAR}; charset=utf-8"


@router.post(
    "/preview",
    response_model=Plan,
    summary="Preview a personalised 8-week plan",
    responses={
        200: example_response(
            examples.PLAN,
            summary="The desk worker's plan (each list but the 8 weeks of 7 days cut to its "
            "first item here)",
        ),
        **_PREVIEW_ERRORS,
    },
    openapi_extra=plan_body.openapi(),
)
async def preview_plan(
    body: Annotated[bytes, Depends(plan_body)],
    catalogue: CatalogueDep,
    assessments: AssessmentsDep,
    tokens: ResultTokensDep,
    planner: PlannerDep,
    _: NoQuery,
) -> Response:
    """Stateless: stores nothing and needs no key. The assessment is answers the server scores
    or the `result_token` of `POST /v1/assessments/score`; a client never states a triage. The
    same request and dataset give the same plan, byte for byte. An emergency or urgent triage
    gives 409 `red_flag` with the triage; see_professional gives gentle mobility, breathing and
    the daily habits only. Too few minutes a day for the daily essentials gives 422 with the
    minimum; sessions that do not fit otherwise are listed in `cuts`.
    `POST /v1/plans/preview/calendar` gives the same plan as iCalendar."""
    rendered = await _rendered(planner, body, catalogue, assessments, tokens, _JSON, _plan_json)
    return Response(rendered, media_type=_JSON)


@router.post(
    "/preview/calendar",
    summary="Preview a personalised 8-week plan as iCalendar",
    response_class=Response,
    responses={200: calendar_response(examples.CALENDAR), **_PREVIEW_ERRORS},
    openapi_extra=plan_body.openapi(),
)
async def preview_plan_calendar(
    body: Annotated[bytes, Depends(plan_body)],
    catalogue: CatalogueDep,
    assessments: AssessmentsDep,
    tokens: ResultTokensDep,
    planner: PlannerDep,
    _: NoQuery,
) -> Response:
    """The plan `POST /v1/plans/preview` gives for the same request, as RFC 5545 events in the
    plan's time zone, for a calendar app. Stateless, like the preview."""
    rendered = await _rendered(
        planner, body, catalogue, assessments, tokens, _ICALENDAR, plan_to_ical
    )
    return Response(
        rendered,
        media_type=_ICALENDAR,
        headers={"Content-Disposition": 'attachment; filename="hip-spine-plan.ics"'},
    )


async def _rendered(
    planner: Planner,
    body: bytes,
    catalogue: CatalogueSnapshot,
    assessments: Assessments,
    tokens: ResultTokens,
    media_type: str,
    render: Callable[[Plan], bytes],
) -> bytes:
    request = plan_body.parse(body)
    rendered = planner.rendered(
        request, catalogue=catalogue, assessments=assessments, media_type=media_type
    )
    if rendered is not None:
        return rendered
    # Generating and rendering is CPU work of milliseconds: off the event loop.
    return await run_in_threadpool(
        partial(
            planner.render,
            request,
            catalogue=catalogue,
            assessments=assessments,
            tokens=tokens,
            media_type=media_type,
            render=render,
        )
    )


def _plan_json(plan: Plan) -> bytes:
    return plan.model_dump_json().encode()
