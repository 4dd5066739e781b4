"""OpenAPI examples for the catalogue and guidance routes: the very bytes the API serves for the
content in ``data/``, lists cut to their first items where noted.
"""

import json
from typing import Any

from app.catalogue.content import load_content
from app.catalogue.filters import ExerciseQuery
from app.catalogue.schemas import Category, Target
from app.catalogue.snapshot import CatalogueSnapshot
from app.http.conditional import Representation
from app.http.openapi_examples import shortened

_content = load_content()
SNAPSHOT = CatalogueSnapshot(
    version=_content.version, exercises=_content.exercises, guidance=_content.guidance
)


def _served(representation: Representation) -> Any:
    return json.loads(representation.body)


EXERCISE_PAGE = _served(
    SNAPSHOT.exercise_page(ExerciseQuery(category=Category.strength, target=Target.glutes, limit=2))
)
EXERCISE = _served(SNAPSHOT.exercise_representations["clamshell"])
# The plan template has exactly eight weeks; every other list is cut to its first item.
_WHOLE = frozenset({"plan_template"})
CATALOGUE = shortened(_served(SNAPSHOT.catalogue), whole=_WHOLE)
GUIDANCE = shortened(_served(SNAPSHOT.guidance_all), whole=_WHOLE)
SELF_ASSESSMENTS = _served(SNAPSHOT.self_assessments)
HABITS = _served(SNAPSHOT.habits)
FAQ = _served(SNAPSHOT.faq)
SAFETY = _served(SNAPSHOT.safety)
PLAN_TEMPLATE = _served(SNAPSHOT.plan_template)
