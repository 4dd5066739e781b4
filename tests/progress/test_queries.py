"""The reads that must stay flat as the log table grows are index range scans on PostgreSQL
(never a sequential scan of progress_log): the 30-day read and the summary's read."""

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.patients.models import Patient
from app.progress.service import logs_between_query


# A PostgreSQL query plan: the backend fixture runs this on PostgreSQL only (and fails under CI
# when it is not configured, as every PostgreSQL test does).
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_patients_logs_by_date_are_an_index_range_scan(session: Session) -> None:
    patient = Patient(
        id=uuid.uuid4(), organisation_id=uuid.uuid4(), external_reference="x", attributes={}
    )
    today = date(2026, 12, 1)
    query = logs_between_query(patient, today - timedelta(days=30), today)
    compiled = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    # With sequential scans priced out, the planner shows whether an index serves the query.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))
    assert "progress_log" in plan
    assert "Seq Scan" not in plan
    assert "Index" in plan
    assert "Sort" not in plan  # the index gives the date order
