"""Loading content is an idempotent upsert; the cache follows the stored version."""

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.catalogue.content import Content
from app.catalogue.models import Dataset, Exercise, GuidanceItem
from app.catalogue.schemas import CountRange, Dose
from app.catalogue.service import CatalogueCache, load_catalogue, read_snapshot
from app.core.db import make_engine
from tests.conftest import alembic_config


def with_changed_clamshell_and_no_walking(content: Content) -> Content:
    exercises = []
    for exercise in content.exercises:
        if exercise.slug == "walking":
            continue
        if exercise.slug == "clamshell":
            dose: Dose = exercise.dose.model_copy(
                update={"reps": CountRange(minimum=15, maximum=15)}
            )
            exercise = exercise.model_copy(update={"dose": dose})
        exercises.append(exercise)
    return Content(exercises=tuple(exercises), guidance=content.guidance, version="1-changed")


def counts(session: Session) -> tuple[int, int]:
    exercises = session.exec(select(func.count()).select_from(Exercise)).one()
    guidance = session.exec(select(func.count()).select_from(GuidanceItem)).one()
    return exercises, guidance


class TestLoadCatalogue:
    def test_loading_the_same_content_again_changes_nothing(
        self, session: Session, content: Content
    ) -> None:
        before = counts(session)

        changed = load_catalogue(session=session, content=content)

        assert changed is False
        assert counts(session) == before

    def test_round_trip_reads_back_exactly_the_content(
        self, session: Session, content: Content
    ) -> None:
        snapshot = read_snapshot(session=session)

        assert snapshot.version == content.version
        assert snapshot.exercises == content.exercises
        assert snapshot.guidance == content.guidance

    def test_new_content_updates_changed_rows_and_removes_stale_ones(
        self, session: Session, content: Content
    ) -> None:
        changed = with_changed_clamshell_and_no_walking(content)

        assert load_catalogue(session=session, content=changed) is True

        snapshot = read_snapshot(session=session)
        assert snapshot.version == "1-changed"
        assert "walking" not in snapshot.by_slug
        reps = snapshot.by_slug["clamshell"].dose.reps
        assert reps == CountRange(minimum=15, maximum=15)
        assert session.get(Dataset, "catalogue") is not None


def test_load_into_an_empty_database_then_cache_refreshes(tmp_path: Path, content: Content) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    command.upgrade(alembic_config(url), "head")
    engine: Engine = make_engine(url)
    with Session(engine) as session:
        assert load_catalogue(session=session, content=content) is True
    cache = CatalogueCache(engine)
    assert cache.refresh() is False

    with Session(engine) as session:
        load_catalogue(session=session, content=with_changed_clamshell_and_no_walking(content))

    assert cache.refresh() is True
    assert cache.snapshot.version == "1-changed"
    engine.dispose()
