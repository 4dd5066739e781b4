"""Exercise list filters: the query model and the pure function that applies it."""

from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from app.catalogue.schemas import Category, Difficulty, Equipment, ExercisePublic, Position, Target
from app.core.types import Omittable
from app.http.query import PageQuery


class EquipmentFilter(StrEnum):
    """Every :class:`Equipment` value, plus ``none`` for exercises that need nothing."""

    none = "none"
    resistance_band = Equipment.resistance_band.value
    light_weights = Equipment.light_weights.value
    household_object = Equipment.household_object.value
    bicycle = Equipment.bicycle.value
    chair = Equipment.chair.value


# The pattern says in the schema what stripping enforces: not only whitespace.
SearchWords = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"\S")
]


class ExerciseQuery(PageQuery):
    """``GET /v1/exercises`` query parameters. Unknown parameters are rejected."""

    category: Omittable[Category] = Field(default=None, description="Exercises of this kind.")
    target: Omittable[Target] = Field(default=None, description="Exercises working this area.")
    equipment: Omittable[EquipmentFilter] = Field(
        default=None,
        description="Exercises doable with this item; `none` for those that need nothing.",
    )
    position: Omittable[Position] = Field(default=None, description="Exercises done this way.")
    difficulty: Omittable[Difficulty] = Field(default=None, description="Exercises this hard.")
    max_minutes: Omittable[Annotated[float, Field(gt=0, le=240)]] = Field(
        default=None,
        description="Exercises whose shortest bout at the default dose fits in this many minutes.",
    )
    q: Omittable[SearchWords] = Field(
        default=None, description="Words that must all appear in the name, summary or steps."
    )


def filter_exercises(
    exercises: Iterable[ExercisePublic], query: ExerciseQuery
) -> list[ExercisePublic]:
    words = _searchable(query.q).split() if query.q else []
    return [
        exercise
        for exercise in exercises
        if (query.category is None or exercise.category == query.category)
        and (query.target is None or query.target in exercise.targets)
        and _has_equipment(exercise, query.equipment)
        and (query.position is None or exercise.position == query.position)
        and (query.difficulty is None or exercise.difficulty == query.difficulty)
        and (
            query.max_minutes is None or exercise.dose.duration_minutes.minimum <= query.max_minutes
        )
        and all(word in _search_text(exercise) for word in words)
    ]


def _has_equipment(exercise: ExercisePublic, wanted: EquipmentFilter | None) -> bool:
    if wanted is None:
        return True
    if wanted is EquipmentFilter.none:
        return not exercise.equipment
    return Equipment(wanted.value) in exercise.equipment


def _search_text(exercise: ExercisePublic) -> str:
    return _searchable(" ".join([exercise.name, exercise.summary, *exercise.steps]))


def _searchable(text: str) -> str:
    # The guide writes "Child’s"; people type "child's".
    return text.replace("’", "'").casefold()
