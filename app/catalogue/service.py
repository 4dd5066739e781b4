"""Catalogue persistence: the idempotent content upsert and reading a dataset back.

``load_catalogue`` makes the database hold exactly the content files' dataset; running it
again with the same files changes nothing. ``CatalogueCache`` keeps each worker's in-memory
snapshot in step with the database.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.catalogue.content import Content
from app.catalogue.models import Dataset, Exercise, GuidanceItem
from app.catalogue.schemas import ExercisePublic, Guidance
from app.catalogue.snapshot import CatalogueSnapshot

DATASET_NAME = "catalogue"

# Guidance list fields, stored one row per item; the kind is the field name.
_GUIDANCE_LISTS = (
    "self_assessments",
    "habits",
    "faq",
    "safety_rules",
    "red_flags",
    "sessions",
    "plan_template",
)
_SINGLE_ITEM_KINDS = ("progress_log_advice",)

logger = logging.getLogger(__name__)


class CatalogueNotLoaded(RuntimeError):
    """The database holds no dataset: run ``hipspine load-catalogue`` (``make run`` does)."""


def load_catalogue(*, session: Session, content: Content) -> bool:
    """Upsert ``content`` so the database holds exactly it. Returns whether anything changed."""
    current = session.get(Dataset, DATASET_NAME)
    if current is not None and current.version == content.version:
        return False
    _sync_exercises(session, content.exercises)
    _sync_guidance(session, _guidance_rows(content.guidance))
    if current is None:
        current = Dataset(name=DATASET_NAME, version=content.version, loaded_at=_now())
    else:
        current.version, current.loaded_at = content.version, _now()
    session.add(current)
    session.commit()
    logger.info("catalogue loaded", extra={"dataset_version": content.version})
    return True


def read_snapshot(*, session: Session) -> CatalogueSnapshot:
    dataset = session.get(Dataset, DATASET_NAME)
    if dataset is None:
        raise CatalogueNotLoaded(CatalogueNotLoaded.__doc__)
    exercises = session.exec(select(Exercise).order_by(col(Exercise.sort_order))).all()
    items = session.exec(
        select(GuidanceItem).order_by(col(GuidanceItem.kind), col(GuidanceItem.sort_order))
    ).all()
    guidance: dict[str, Any] = {kind: [] for kind in _GUIDANCE_LISTS}
    for item in items:
        if item.kind in _SINGLE_ITEM_KINDS:
            guidance[item.kind] = item.document
        else:
            guidance[item.kind].append(item.document)
    return CatalogueSnapshot(
        version=dataset.version,
        exercises=[ExercisePublic.model_validate(row.document) for row in exercises],
        guidance=Guidance.model_validate(guidance),
    )


def read_version(*, session: Session) -> str | None:
    dataset = session.get(Dataset, DATASET_NAME)
    return None if dataset is None else dataset.version


class CatalogueCache:
    """Each worker's current snapshot, reloaded when the database holds a newer version."""

    def __init__(
        self, engine: Engine, *, check: Callable[[CatalogueSnapshot], None] | None = None
    ) -> None:
        """``check`` vets every snapshot before it is served (raising to refuse it)."""
        self._engine = engine
        self._check = check or (lambda _snapshot: None)
        with Session(engine) as session:
            snapshot = read_snapshot(session=session)
        self._check(snapshot)
        self.snapshot = snapshot

    def refresh(self) -> bool:
        """Reload if the stored version changed; returns whether it did."""
        with Session(self._engine) as session:
            version = read_version(session=session)
            if version is None or version == self.snapshot.version:
                return False
            snapshot = read_snapshot(session=session)
        self._check(snapshot)
        self.snapshot = snapshot
        logger.info("catalogue refreshed", extra={"dataset_version": self.snapshot.version})
        return True


def _sync_exercises(session: Session, exercises: Sequence[ExercisePublic]) -> None:
    existing = {row.slug: row for row in session.exec(select(Exercise)).all()}
    for order, exercise in enumerate(exercises):
        document = exercise.model_dump(mode="json")
        row = existing.pop(exercise.slug, None) or Exercise(
            slug=exercise.slug, sort_order=order, name=exercise.name, category="", document={}
        )
        row.sort_order, row.name, row.category = order, exercise.name, exercise.category.value
        row.document = document
        session.add(row)
    for stale in existing.values():
        session.delete(stale)


def _guidance_rows(guidance: Guidance) -> Iterable[tuple[str, str, int, dict[str, Any]]]:
    dumped = guidance.model_dump(mode="json")
    for kind in _GUIDANCE_LISTS:
        for order, document in enumerate(dumped[kind]):
            yield kind, _guidance_key(document), order, document
    for kind in _SINGLE_ITEM_KINDS:
        yield kind, kind.replace("_", "-"), 0, dumped[kind]


def _guidance_key(document: dict[str, Any]) -> str:
    """Guidance items are keyed by slug; sessions by kind and plan weeks by number."""
    if "slug" in document:
        return str(document["slug"])
    if "kind" in document:
        return str(document["kind"]).replace("_", "-")
    return f"week-{document['week']}"


def _sync_guidance(session: Session, rows: Iterable[tuple[str, str, int, dict[str, Any]]]) -> None:
    existing = {(row.kind, row.slug): row for row in session.exec(select(GuidanceItem)).all()}
    for kind, slug, order, document in rows:
        row = existing.pop((kind, slug), None) or GuidanceItem(
            kind=kind, slug=slug, sort_order=order, document={}
        )
        row.sort_order, row.document = order, document
        session.add(row)
    for stale in existing.values():
        session.delete(stale)


def _now() -> datetime:
    return datetime.now(UTC)
