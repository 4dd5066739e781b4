"""Alembic owns the schema: it goes up, down and up again, and matches the models exactly."""

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.assessments.examples import EXAMPLE_TOKENS
from app.assessments.service import Assessments
from app.catalogue.examples import SNAPSHOT
from app.core.db import make_engine
from app.plans import examples as plan_examples
from app.plans.schemas import Plan, PlanRequest
from app.plans.service import Planner
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


def _stored_plan_without_session_ids() -> tuple[dict[str, Any], Plan]:
    planner, assessments = Planner.load(), Assessments.load()
    request = PlanRequest.model_validate(
        plan_examples.REQUESTS["desk_worker_tight_right_hip"]["value"]
    )
    plan = planner.preview(
        request, catalogue=SNAPSHOT, assessments=assessments, tokens=EXAMPLE_TOKENS
    )
    stored = plan.model_dump(mode="json")
    for week in stored["weeks"]:
        del week["retest"]
        for day in week["days"]:
            for session in day["sessions"]:
                del session["id"]
                for item in session["items"]:
                    del item["only_side"]
    return stored, plan


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_stored_plans_get_the_session_ids_and_retests_the_generator_gives(
    backend: str, tmp_path: Path
) -> None:
    """A plan stored before sessions had ids and weeks re-tests is served afterwards with the
    ids and re-tests a new plan has, so a progress log can name its sessions; the downgrade
    takes them out again."""
    stored, generated = _stored_plan_without_session_ids()
    with empty_database(backend, tmp_path) as url:
        config = alembic_config(url)
        command.upgrade(config, "f4b09da3a891")
        engine = make_engine(url)
        organisation, patient, plan_id = (uuid.UUID(int=n) for n in (1, 2, 3))
        with engine.begin() as connection:
            connection.execute(
                sa.insert(
                    sa.table(
                        "organisation",
                        sa.column("id", sa.Uuid()),
                        sa.column("name"),
                        sa.column("created_at", sa.DateTime(timezone=True)),
                    )
                ),
                {
                    "id": organisation,
                    "name": "Clinic",
                    "created_at": datetime(2026, 11, 1, tzinfo=UTC),
                },
            )
            connection.execute(
                sa.insert(
                    sa.table(
                        "patient",
                        *(sa.column(c) for c in ("external_reference", "version")),
                        sa.column("id", sa.Uuid()),
                        sa.column("organisation_id", sa.Uuid()),
                        sa.column("attributes", sa.JSON()),
                        sa.column("created_at", sa.DateTime(timezone=True)),
                        sa.column("updated_at", sa.DateTime(timezone=True)),
                    )
                ),
                {
                    "id": patient,
                    "organisation_id": organisation,
                    "external_reference": "P-1",
                    "attributes": {},
                    "version": 1,
                    "created_at": datetime(2026, 11, 1, tzinfo=UTC),
                    "updated_at": datetime(2026, 11, 1, tzinfo=UTC),
                },
            )
            connection.execute(
                sa.insert(_PLAN_TABLE),
                {
                    "id": plan_id,
                    "organisation_id": organisation,
                    "patient_id": patient,
                    "status": "active",
                    "version": 1,
                    "created_at": datetime(2026, 11, 1, tzinfo=UTC),
                    "updated_at": datetime(2026, 11, 1, tzinfo=UTC),
                    "plan": stored,
                },
            )

        command.upgrade(config, "head")
        with engine.connect() as connection:
            upgraded = connection.execute(sa.select(_PLAN_TABLE.c.plan)).scalar_one()
        assert Plan.model_validate(upgraded) == generated
        first_day = upgraded["weeks"][0]["days"][0]
        assert [s["id"] for s in first_day["sessions"]] == [
            f"{first_day['date']}.{s['kind']}" for s in first_day["sessions"]
        ]
        # ...and is its own revision 1, from which the adaptation to its logs starts.
        revisions = sa.table(
            "plan_revision",
            sa.column("plan_id", sa.Uuid()),
            sa.column("number"),
            sa.column("plan", sa.JSON()),
            sa.column("changes", sa.JSON()),
        )
        with engine.connect() as connection:
            rows = connection.execute(sa.select(revisions)).all()
            current = connection.execute(text("SELECT revision FROM patient_plan")).scalar_one()
        assert current == 1
        assert [(r.plan_id, r.number, r.plan, r.changes) for r in rows] == [
            (plan_id, 1, upgraded, [])
        ]

        command.downgrade(config, "f4b09da3a891")
        with engine.connect() as connection:
            assert connection.execute(sa.select(_PLAN_TABLE.c.plan)).scalar_one() == stored
        engine.dispose()


_PLAN_TABLE = sa.table(
    "patient_plan",
    sa.column("id", sa.Uuid()),
    sa.column("organisation_id", sa.Uuid()),
    sa.column("patient_id", sa.Uuid()),
    sa.column("status"),
    sa.column("version"),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("plan", sa.JSON()),
)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_control_characters_leave_stored_log_notes(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notes stored before control characters were refused would fail every read of the
    patient's logs: the upgrade takes the characters out, in batches, and touches nothing
    else."""
    module = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("7e1c2d9a4b60")
    assert module is not None
    monkeypatch.setattr(module.module, "BATCH", 2)  # several batches from a few logs
    at = datetime(2026, 11, 1, tzinfo=UTC)
    notes = ["Stiff\x01 morning\x1b[0m", "Walked\tfar.\r\nSlept well.", None, "\x7fok", "fine"]
    with empty_database(backend, tmp_path) as url:
        config = alembic_config(url)
        command.upgrade(config, "3b2ba92ee840")
        engine = make_engine(url)
        organisation, patient = uuid.UUID(int=1), uuid.UUID(int=2)
        logs = sa.table(
            "progress_log",
            *(sa.column(c) for c in ("log_date", "version", "created_at", "updated_at")),
            sa.column("id", sa.Uuid()),
            sa.column("organisation_id", sa.Uuid()),
            sa.column("patient_id", sa.Uuid()),
            sa.column("body", sa.JSON()),
        )
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO organisation (id, name, created_at) VALUES (:id, 'C', :at)"),
                {"id": organisation.hex if backend == "sqlite" else organisation, "at": at},
            )
            connection.execute(
                text(
                    "INSERT INTO patient (id, organisation_id, external_reference, attributes, "
                    "version, created_at, updated_at) VALUES (:id, :org, 'P-1', '{}', 1, :at, :at)"
                ),
                {
                    "id": patient.hex if backend == "sqlite" else patient,
                    "org": organisation.hex if backend == "sqlite" else organisation,
                    "at": at,
                },
            )
            for day, note in enumerate(notes, start=1):
                body = {"pain": 3, **({"note": note} if note is not None else {})}
                connection.execute(
                    sa.insert(logs),
                    {
                        "id": uuid.UUID(int=100 + day),
                        "organisation_id": organisation,
                        "patient_id": patient,
                        "log_date": date(2026, 11, day),
                        "body": body,
                        "version": 1,
                        "created_at": at,
                        "updated_at": at,
                    },
                )

        command.upgrade(config, "head")
        with engine.connect() as connection:
            bodies = (
                connection.execute(sa.select(logs.c.body).order_by(logs.c.log_date)).scalars().all()
            )
        engine.dispose()
    assert [body.get("note") for body in bodies] == [
        "Stiff morning[0m",
        "Walked\tfar.\r\nSlept well.",
        None,
        "ok",
        "fine",
    ]
    assert {body["pain"] for body in bodies} == {3}
