"""Every table model, imported in one place: Alembic's single registry."""

from app.catalogue.models import Dataset, Exercise, GuidanceItem

__all__ = ["Dataset", "Exercise", "GuidanceItem"]
