from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from app.assessments import examples
from app.assessments.dependencies import AssessmentsDep, ResultTokensDep
from app.assessments.schemas import AssessmentAnswers, AssessmentDefinitions, ScoredAssessment
from app.catalogue import CatalogueDep
from app.http.body import JsonBody
from app.http.conditional import CACHE_VALIDATORS, public_content, public_content_responses
from app.http.problems import problem_responses
from app.http.query import NoQuery

answers_body = JsonBody(AssessmentAnswers, examples=examples.REQUESTS)

router = APIRouter(prefix="/v1/assessments", tags=["assessments"])

_RULESET_VERSION = {
    "X-Ruleset-Version": {
        "description": "The scoring rules' version, as in every score result.",
        "schema": {"type": "string", "examples": ["1-5b7e0c2d9a11"]},
    }
}


@router.get(
    "",
    response_model=AssessmentDefinitions,
    summary="The self-tests and screening questions",
    responses={
        **public_content_responses(
            examples.DEFINITIONS,
            summary="The self-tests, intake questions and red-flag screen",
            extra_headers=_RULESET_VERSION,
        ),
        **problem_responses(422),
    },
    dependencies=[CACHE_VALIDATORS],
)
async def get_assessment_definitions(
    request: Request, catalogue: CatalogueDep, assessments: AssessmentsDep, _: NoQuery
) -> Response:
    """The three self-tests with the answers each takes (per side where the test is per side),
    the intake questions, the red-flag screen with the triage each answer gives, and the rules
    that set the triage from the other answers, each with its source."""
    return public_content(
        request,
        assessments.definitions(catalogue),
        dataset_version=catalogue.version,
        extra_headers={"X-Ruleset-Version": assessments.version},
    )


@router.post(
    "/score",
    response_model=ScoredAssessment,
    summary="Score a self-assessment",
    responses={
        200: {"content": {"application/json": {"examples": examples.RESPONSES}}},
        **problem_responses(400, 413, 422),
    },
    openapi_extra=answers_body.openapi(),
)
async def score_assessment(
    body: Annotated[bytes, Depends(answers_body)],
    catalogue: CatalogueDep,
    assessments: AssessmentsDep,
    tokens: ResultTokensDep,
    _: NoQuery,
) -> Response:
    """Stateless: stores nothing and needs no key. The same answers always give the same
    result. A cauda-equina sign gives `emergency`, another red flag `urgent`: either means no
    exercises and no score. `result_token` lets an app plan from this result later."""
    # A score takes about 0.2 ms: computed each time, on the event loop, and never memoised
    # (a memo keyed on bodies is memory any caller could fill).
    scored = assessments.scored(answers_body.parse(body), catalogue, tokens)
    return Response(scored.model_dump_json().encode(), media_type="application/json")
