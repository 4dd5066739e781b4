"""The exercise catalogue and the guide's guidance, served from an in-memory snapshot.

What other domains may use; everything else in this package is its own.
"""

from app.catalogue.dependencies import CatalogueDep
from app.catalogue.schemas import (
    Category,
    Difficulty,
    Dose,
    Equipment,
    ExercisePublic,
    Guidance,
    PlanTemplateWeek,
    Range,
    SessionKind,
    Side,
    Slug,
    StrictModel,
    Target,
    Text,
)
from app.catalogue.snapshot import CatalogueSnapshot

__all__ = [
    "CatalogueDep",
    "CatalogueSnapshot",
    "Category",
    "Difficulty",
    "Dose",
    "Equipment",
    "ExercisePublic",
    "Guidance",
    "PlanTemplateWeek",
    "Range",
    "SessionKind",
    "Side",
    "Slug",
    "StrictModel",
    "Target",
    "Text",
]
