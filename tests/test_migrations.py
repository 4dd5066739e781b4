"""Alembic owns the schema: it goes up, down and up again, and matches the models exactly."""

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

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


def test_stored_records_in_the_earlier_format_stop_the_upgrade_untouched(tmp_path: Path) -> None:
    """Assessments and plans from before the triage levels changed cannot be converted
    faithfully: the upgrade refuses, with a message, and leaves them as they were."""
    with empty_database("sqlite", tmp_path) as url:
        config = alembic_config(url)
        command.upgrade(config, "3b071d788193")
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisation (id, name, created_at) "
                    "VALUES ('00000000000000000000000000000001', 'Old', '2026-11-01')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO patient (id, organisation_id, external_reference, attributes, "
                    "version, created_at, updated_at) VALUES ('00000000000000000000000000000002', "
                    "'00000000000000000000000000000001', 'P-OLD', '{}', 1, '2026-11-01', "
                    "'2026-11-01')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO patient_assessment (id, organisation_id, patient_id, created_at, "
                    "answers, result) VALUES ('00000000000000000000000000000003', "
                    "'00000000000000000000000000000001', '00000000000000000000000000000002', "
                    "'2026-11-01', '{}', '{\"triage\": {\"level\": \"seek_care_now\"}}')"
                )
            )

        with pytest.raises(RuntimeError, match="earlier format"):
            command.upgrade(config, "head")

        with engine.connect() as connection:
            result = connection.execute(text("SELECT result FROM patient_assessment")).scalar_one()
            assert "seek_care_now" in result
            assert "stop" not in {
                c["name"] for c in inspect(connection).get_columns("patient_plan")
            }
        engine.dispose()
