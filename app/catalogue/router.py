from fastapi import APIRouter, Request, Response

from app.catalogue.dependencies import CatalogueDep, ExerciseDep, ExerciseQueryDep, exercise_query
from app.catalogue.schemas import (
    CataloguePublic,
    ExercisePublic,
    FaqList,
    GuidancePublic,
    HabitList,
    PlanTemplate,
    SafetyGuidance,
    SelfAssessmentList,
)
from app.catalogue.snapshot import CatalogueSnapshot
from app.http.conditional import NOT_MODIFIED, Representation, public_content
from app.http.pagination import Page
from app.http.problems import problem_responses
from app.http.query import StrictQueryRoute

router = APIRouter(
    route_class=StrictQueryRoute, prefix="/v1", tags=["catalogue"], responses=NOT_MODIFIED
)
guidance_router = APIRouter(
    route_class=StrictQueryRoute, prefix="/v1/guidance", tags=["guidance"], responses=NOT_MODIFIED
)


def _cached(request: Request, catalogue: CatalogueSnapshot, body: Representation) -> Response:
    return public_content(request, body, dataset_version=catalogue.version)


@router.get(
    "/exercises",
    response_model=Page[ExercisePublic],
    summary="List exercises",
    responses=problem_responses(422),
    openapi_extra={"parameters": exercise_query.openapi_parameters()},
)
async def list_exercises(
    request: Request, catalogue: CatalogueDep, query: ExerciseQueryDep
) -> Response:
    """Filter the catalogue; results are in the guide's order, a page at a time."""
    return _cached(request, catalogue, catalogue.exercise_page(query))


@router.get(
    "/exercises/{slug}",
    response_model=ExercisePublic,
    summary="Get one exercise",
    responses=problem_responses(404, 422),
)
async def get_exercise(
    request: Request, catalogue: CatalogueDep, exercise: ExerciseDep
) -> Response:
    return _cached(request, catalogue, catalogue.exercise_representations[exercise.slug])


@router.get(
    "/catalogue",
    response_model=CataloguePublic,
    summary="The whole dataset",
    responses=problem_responses(422),
)
async def get_catalogue(request: Request, catalogue: CatalogueDep) -> Response:
    """Every exercise and all guidance in one response, for apps that work offline.

    Send the ETag back as `If-None-Match` to get a 304 while the dataset is unchanged."""
    return _cached(request, catalogue, catalogue.catalogue)


@guidance_router.get(
    "", response_model=GuidancePublic, summary="All guidance", responses=problem_responses(422)
)
async def get_guidance(request: Request, catalogue: CatalogueDep) -> Response:
    return _cached(request, catalogue, catalogue.guidance_all)


@guidance_router.get(
    "/self-assessments",
    response_model=SelfAssessmentList,
    summary="The three self-assessment tests",
    responses=problem_responses(422),
)
async def list_self_assessments(request: Request, catalogue: CatalogueDep) -> Response:
    return _cached(request, catalogue, catalogue.self_assessments)


@guidance_router.get(
    "/habits",
    response_model=HabitList,
    summary="Daily habits and ergonomics",
    responses=problem_responses(422),
)
async def list_habits(request: Request, catalogue: CatalogueDep) -> Response:
    return _cached(request, catalogue, catalogue.habits)


@guidance_router.get(
    "/faq",
    response_model=FaqList,
    summary="Frequently asked questions",
    responses=problem_responses(422),
)
async def list_faq(request: Request, catalogue: CatalogueDep) -> Response:
    return _cached(request, catalogue, catalogue.faq)


@guidance_router.get(
    "/safety",
    response_model=SafetyGuidance,
    summary="Safety rules and red flags",
    responses=problem_responses(422),
)
async def get_safety(request: Request, catalogue: CatalogueDep) -> Response:
    return _cached(request, catalogue, catalogue.safety)


@guidance_router.get(
    "/plan-template",
    response_model=PlanTemplate,
    summary="The 8-week plan template",
    responses=problem_responses(422),
)
async def get_plan_template(request: Request, catalogue: CatalogueDep) -> Response:
    return _cached(request, catalogue, catalogue.plan_template)
