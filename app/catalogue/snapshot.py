"""An immutable, in-memory view of one dataset version, serving pre-serialised bytes.

The catalogue changes only when new content is loaded, so each worker keeps the current
version in memory and answers catalogue reads from bytes cached per dataset version and
filter set: no database round trip and no per-request serialisation on the hot path.
"""

from collections.abc import Iterable
from functools import lru_cache

from pydantic import TypeAdapter

from app.catalogue.filters import ExerciseQuery, filter_exercises
from app.catalogue.schemas import (
    CataloguePublic,
    ExercisePublic,
    FaqList,
    Guidance,
    GuidancePublic,
    HabitList,
    PlanTemplate,
    SafetyGuidance,
    SelfAssessmentList,
)
from app.http.conditional import Representation
from app.http.pagination import CursorModel, Page, decode_cursor, encode_cursor

PAGE_CACHE_SIZE = 2048
_PAGE_ADAPTER = TypeAdapter(Page[ExercisePublic])


class ExerciseCursor(CursorModel):
    """Keyset position: the sort key of the last item on the previous page."""

    o: int
    s: str


class CatalogueSnapshot:
    def __init__(
        self, *, version: str, exercises: Iterable[ExercisePublic], guidance: Guidance
    ) -> None:
        self.version = version
        self.exercises = tuple(exercises)
        self.guidance = guidance
        self._order = {exercise.slug: index for index, exercise in enumerate(self.exercises)}
        self.by_slug = {exercise.slug: exercise for exercise in self.exercises}
        self.exercise_representations = {
            exercise.slug: Representation.of(exercise) for exercise in self.exercises
        }
        self.catalogue = Representation.of(
            CataloguePublic(
                dataset_version=version, exercises=list(self.exercises), guidance=guidance
            )
        )
        self.guidance_all = Representation.of(
            GuidancePublic(dataset_version=version, guidance=guidance)
        )
        self.self_assessments = Representation.of(
            SelfAssessmentList(dataset_version=version, items=guidance.self_assessments)
        )
        self.habits = Representation.of(HabitList(dataset_version=version, items=guidance.habits))
        self.faq = Representation.of(FaqList(dataset_version=version, items=guidance.faq))
        self.safety = Representation.of(
            SafetyGuidance(
                dataset_version=version, rules=guidance.safety_rules, red_flags=guidance.red_flags
            )
        )
        self.plan_template = Representation.of(
            PlanTemplate(
                dataset_version=version,
                weeks=guidance.plan_template,
                sessions=guidance.sessions,
                progress_log_advice=guidance.progress_log_advice,
            )
        )
        self.exercise_page = lru_cache(maxsize=PAGE_CACHE_SIZE)(self._exercise_page)

    def _exercise_page(self, query: ExerciseQuery) -> Representation:
        matches = filter_exercises(self.exercises, query)
        if query.cursor is not None:
            after = decode_cursor(query.cursor, ExerciseCursor)
            matches = [e for e in matches if (self._order[e.slug], e.slug) > (after.o, after.s)]
        items = matches[: query.limit]
        next_cursor = None
        if len(matches) > query.limit:
            last = items[-1]
            next_cursor = encode_cursor(ExerciseCursor(o=self._order[last.slug], s=last.slug))
        body = _PAGE_ADAPTER.dump_json(Page[ExercisePublic](items=items, next_cursor=next_cursor))
        return Representation.of_bytes(body)
