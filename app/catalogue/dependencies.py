from typing import Annotated

from fastapi import Depends, Query, Request

from app.catalogue.filters import ExerciseQuery
from app.catalogue.schemas import ExercisePublic, Slug
from app.catalogue.service import CatalogueCache
from app.catalogue.snapshot import CatalogueSnapshot
from app.core.errors import NotFound


async def current_catalogue(request: Request) -> CatalogueSnapshot:
    # async: a plain attribute read must not pay for a thread-pool hop on the hot path.
    cache: CatalogueCache = request.app.state.catalogue
    return cache.snapshot


CatalogueDep = Annotated[CatalogueSnapshot, Depends(current_catalogue)]


async def exercise_by_slug(slug: Slug, catalogue: CatalogueDep) -> ExercisePublic:
    exercise = catalogue.by_slug.get(slug)
    if exercise is None:
        raise NotFound(f"No exercise with slug {slug!r}.")
    return exercise


ExerciseDep = Annotated[ExercisePublic, Depends(exercise_by_slug)]

ExerciseQueryDep = Annotated[ExerciseQuery, Query()]
