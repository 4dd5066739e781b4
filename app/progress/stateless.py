"""`POST /v1/plans/adapt`: the stateless adaptation, for apps that keep the logs on the device.

Beside the plan routes (same prefix and tag), in the progress domain that owns adaptation.
"""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool

from app.assessments import AssessmentsDep, ResultTokensDep
from app.catalogue import CatalogueDep
from app.http.body import JsonBody
from app.http.openapi_examples import example_response
from app.http.problems import problem_responses
from app.http.query import NoQuery
from app.plans import NotEnoughTimeProblem, PlannerDep, PlanRefusal
from app.progress import examples
from app.progress.dependencies import AdapterDep
from app.progress.schemas import AdaptedPlan, AdaptRequest

adapt_body = JsonBody(AdaptRequest, examples=examples.REQUESTS)

router = APIRouter(prefix="/v1/plans", tags=["plans"])

_ERRORS = problem_responses(
    400, 409, 413, 422, models={409: PlanRefusal, 422: NotEnoughTimeProblem}
)
_ERRORS[409].update(example_response(examples.REFUSAL, summary="A red flag: no plan"))


@router.post(
    "/adapt",
    response_model=AdaptedPlan,
    summary="Adapt a plan to the progress logs an app kept",
    responses={
        200: example_response(
            examples.ADAPTED,
            summary="The desk worker's plan after 11 days of logs (each list but the weeks, "
            "days and changes cut to its first item here)",
        ),
        **_ERRORS,
    },
    openapi_extra=adapt_body.openapi(),
)
async def adapt_plan(
    body: Annotated[bytes, Depends(adapt_body)],
    catalogue: CatalogueDep,
    assessments: AssessmentsDep,
    tokens: ResultTokensDep,
    planner: PlannerDep,
    adapter: AdapterDep,
    _: NoQuery,
) -> Response:
    """Stateless, for apps that keep data on the device: stores nothing and needs no key. The
    plan is the one `POST /v1/plans/preview` gives for `plan`; the logs (one per date, from the
    plan's first day to today in its time zone) are replayed in date order and each changes
    only the days after it, by the rules AD-1 to AD-6, each change with its rule, source and
    reason. The same request gives the same plan.

    A red flag in the assessment or in any log (the server scores each log's red-flag answers)
    gives 409 `red_flag` with the triage, never a plan. A log the plan cannot hold (a date in
    the future or outside the plan, a session the plan does not hold that day, an exercise the
    plan does not use) gives 422 naming the field. Very long notes on many logs can pass the
    request size limit (413)."""
    request = adapt_body.parse(body)
    adapted = await run_in_threadpool(
        partial(
            adapter.adapt_request,
            request,
            planner=planner,
            catalogue=catalogue,
            assessments=assessments,
            tokens=tokens,
        )
    )
    return Response(adapted.model_dump_json().encode(), media_type="application/json")
