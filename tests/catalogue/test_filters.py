"""The pure filter over exercises, checked without a database or an app."""

import pytest
from pydantic import ValidationError

from app.catalogue.content import Content
from app.catalogue.filters import EquipmentFilter, ExerciseQuery, filter_exercises
from app.catalogue.schemas import Category, Equipment, Target


def test_equipment_filter_is_every_equipment_plus_none() -> None:
    assert {item.value for item in EquipmentFilter} == {"none"} | {item.value for item in Equipment}


def test_no_filters_keeps_everything_in_order(content: Content) -> None:
    assert filter_exercises(content.exercises, ExerciseQuery()) == list(content.exercises)


def test_filters_combine_with_and(content: Content) -> None:
    query = ExerciseQuery(
        category=Category.strength, target=Target.core, equipment=EquipmentFilter.none
    )

    result = filter_exercises(content.exercises, query)

    assert result
    for exercise in result:
        assert exercise.category == "strength"
        assert "core" in exercise.targets
        assert exercise.equipment == []


def test_text_search_needs_every_word(content: Content) -> None:
    result = filter_exercises(content.exercises, ExerciseQuery(q="hip hinge"))

    assert [exercise.slug for exercise in result] == ["hip-hinge-deadlift"]


def test_unknown_parameters_are_rejected() -> None:
    with pytest.raises(ValidationError):
        ExerciseQuery.model_validate({"colour": "red"})
