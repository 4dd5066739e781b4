from fastapi import APIRouter, Request, Response

from app.catalogue import examples
from app.catalogue.dependencies import CatalogueDep, ExerciseDep, ExerciseQueryDep
from app.catalogue.schemas import (
    CataloguePublic,
    ExercisePage,
    ExercisePublic,
    FaqList,
    GuidancePublic,
    HabitList,
    PlanTemplate,
    SafetyGuidance,
    SelfAssessmentList,
)
from app.catalogue.snapshot import CatalogueSnapshot
from app.http.conditional import (
    CACHE_VALIDATORS,
    Representation,
    public_content,
    public_content_responses,
)
from app.http.problems import problem_responses
from app.http.query import NoQuery

router = APIRouter(prefix="/v1", tags=["catalogue"], dependencies=[CACHE_VALIDATORS])
guidance_router = APIRouter(
    prefix="/v1/guidance", tags=["guidance"], dependencies=[CACHE_VALIDATORS]
)


def _versioned(request: Request, catalogue: CatalogueSnapshot, body: Representation) -> Response:
    """Public content of the catalogue's current dataset version."""
    return public_content(request, body, dataset_version=catalogue.version)


@router.get(
    "/exercises",
    response_model=ExercisePage,
    summary="List exercises",
    responses={
        **public_content_responses(
            examples.EXERCISE_PAGE, summary="Strength exercises for the glutes, two a page"
        ),
        **problem_responses(422),
    },
)
async def list_exercises(
    request: Request, catalogue: CatalogueDep, query: ExerciseQueryDep
) -> Response:
    """Filter the catalogue; results are in the guide's order, a page at a time."""
    return _versioned(request, catalogue, catalogue.exercise_page(query))


@router.get(
    "/exercises/{slug}",
    response_model=ExercisePublic,
    summary="Get one exercise",
    responses={
        **public_content_responses(examples.EXERCISE, summary="The clamshell"),
        **problem_responses(404, 422),
    },
)
async def get_exercise(
    request: Request, catalogue: CatalogueDep, exercise: ExerciseDep, _: NoQuery
) -> Response:
    return _versioned(request, catalogue, catalogue.exercise_representations[exercise.slug])


@router.get(
    "/catalogue",
    response_model=CataloguePublic,
    summary="The whole dataset",
    responses={
        **public_content_responses(
            examples.CATALOGUE, summary="The dataset (lists cut to their first items here)"
        ),
        **problem_responses(422),
    },
)
async def get_catalogue(request: Request, catalogue: CatalogueDep, _: NoQuery) -> Response:
    """Every exercise and all guidance in one response, for apps that work offline.

    Send the ETag back as `If-None-Match` to get a 304 while the dataset is unchanged."""
    return _versioned(request, catalogue, catalogue.catalogue)


@guidance_router.get(
    "",
    response_model=GuidancePublic,
    summary="All guidance",
    responses={
        **public_content_responses(
            examples.GUIDANCE, summary="All guidance (lists cut to their first items here)"
        ),
        **problem_responses(422),
    },
)
async def get_guidance(request: Request, catalogue: CatalogueDep, _: NoQuery) -> Response:
    return _versioned(request, catalogue, catalogue.guidance_all)


@guidance_router.get(
    "/self-assessments",
    response_model=SelfAssessmentList,
    summary="The three self-assessment tests",
    responses={
        **public_content_responses(examples.SELF_ASSESSMENTS, summary="The three self-tests"),
        **problem_responses(422),
    },
)
async def list_self_assessments(request: Request, catalogue: CatalogueDep, _: NoQuery) -> Response:
    return _versioned(request, catalogue, catalogue.self_assessments)


@guidance_router.get(
    "/habits",
    response_model=HabitList,
    summary="Daily habits and ergonomics",
    responses={
        **public_content_responses(examples.HABITS, summary="The daily habits"),
        **problem_responses(422),
    },
)
async def list_habits(request: Request, catalogue: CatalogueDep, _: NoQuery) -> Response:
    return _versioned(request, catalogue, catalogue.habits)


@guidance_router.get(
    "/faq",
    response_model=FaqList,
    summary="Frequently asked questions",
    responses={
        **public_content_responses(examples.FAQ, summary="The guide's questions and answers"),
        **problem_responses(422),
    },
)
async def list_faq(request: Request, catalogue: CatalogueDep, _: NoQuery) -> Response:
    return _versioned(request, catalogue, catalogue.faq)


@guidance_router.get(
    "/safety",
    response_model=SafetyGuidance,
    summary="Safety rules and red flags",
    responses={
        **public_content_responses(examples.SAFETY, summary="Safety rules and red flags"),
        **problem_responses(422),
    },
)
async def get_safety(request: Request, catalogue: CatalogueDep, _: NoQuery) -> Response:
    return _versioned(request, catalogue, catalogue.safety)


@guidance_router.get(
    "/plan-template",
    response_model=PlanTemplate,
    summary="The 8-week plan template",
    responses={
        **public_content_responses(examples.PLAN_TEMPLATE, summary="The 8-week table"),
        **problem_responses(422),
    },
)
async def get_plan_template(request: Request, catalogue: CatalogueDep, _: NoQuery) -> Response:
    return _versioned(request, catalogue, catalogue.plan_template)
