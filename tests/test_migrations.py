"""Alembic owns the schema: it goes up, down and up again, and matches the models exactly."""

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app.core.db import make_engine
from tests.conftest import alembic_config, empty_database


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_downgrade_upgrade_then_nothing_to_autogenerate(
    backend: str, tmp_path: Path
) -> None:
    with empty_database(backend, tmp_path) as url:
        config = alembic_config(url)

        command.upgrade(config, "head")
        command.downgrade(config, "base")
        engine = make_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        command.upgrade(config, "head")
        command.check(config)  # raises if the models and the migrations disagree


def test_history_is_linear() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))

    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
