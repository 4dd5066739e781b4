"""An immutable, in-memory view of one dataset version, serving pre-serialised bytes.

The catalogue changes only when new content is loaded, so each worker keeps the current
version in memory and answers whole-resource reads from bytes serialised once per dataset
version: no database round trip and no per-request serialisation on the hot path. A filtered
page is built per request (microseconds over a few dozen exercises); repeats of the same query
are replayed by the public response cache in front of the app.
"""

from collections.abc import Iterable

from app.catalogue.filters import ExerciseQuery, filter_exercises
from app.catalogue.schemas import (
    CataloguePublic,
    ExercisePage,
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
from app.http.pagination import CursorModel, decode_cursor, encode_cursor


class ExerciseCursor(CursorModel):
    """Keyset position: the sort key of the last item on the previous page, its place in the
    catalogue's order and its slug."""

    position: int
    slug: str


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

    def exercise_page(self, query: ExerciseQuery) -> Representation:
        matches = filter_exercises(self.exercises, query)
        if query.cursor is not None:
            after = decode_cursor(query.cursor, ExerciseCursor)
            matches = [
                e for e in matches if (self._order[e.slug], e.slug) > (after.position, after.slug)
            ]
        items = matches[: query.limit]
        next_cursor = None
        if len(matches) > query.limit:
            last = items[-1]
            next_cursor = encode_cursor(
                ExerciseCursor(position=self._order[last.slug], slug=last.slug)
            )
        body = ExercisePage(items=items, next_cursor=next_cursor).model_dump_json().encode()
        return Representation.of_bytes(body)
