"""A patient's stored progress: outcome measures, daily logs, plan revisions and the summary.
Every query filters on the patient's organisation and id; writes are flushed, never
committed (the request's unit of work commits them)."""

import functools
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlmodel import Session, col

from app.core.errors import NotFound, UnprocessableContent
from app.patients.models import Patient, PatientPlan
from app.patients.service import keyset_page, records_of
from app.progress.models import OutcomeMeasure
from app.progress.outcomes import (
    Instrument,
    InstrumentRule,
    Timepoint,
    instrument_rules,
    score,
)
from app.progress.stored import OutcomeInput, OutcomeItem, PegInput, StoredOutcome

OUTCOMES_FILE = Path(__file__).resolve().parent / "data" / "outcomes.yaml"


@functools.cache
def outcome_rules() -> dict[Instrument, InstrumentRule]:
    with OUTCOMES_FILE.open(encoding="utf-8") as handle:
        return instrument_rules(yaml.safe_load(handle))


def local_today(time_zone: str) -> date:
    return datetime.now(ZoneInfo(time_zone)).date()


def patient_today(session: Session, patient: Patient) -> date:
    """The patient's local date: in the time zone of their latest plan, or UTC without one."""
    latest = session.exec(
        records_of(PatientPlan, patient)
        .order_by(col(PatientPlan.created_at).desc(), col(PatientPlan.id).desc())
        .limit(1)
    ).first()
    return local_today(latest.plan["inputs"]["time_zone"] if latest else "UTC")


def _not_in_the_future(value: date, today: date, loc: list[str | int]) -> None:
    if value > today:
        raise UnprocessableContent(
            f"{value.isoformat()} is in the future (today is {today.isoformat()}).",
            errors=[{"loc": loc, "msg": "Must not be in the future", "type": "future_date"}],
        )


# --- outcome measures --------------------------------------------------------------------------


def store_outcome(
    session: Session, patient: Patient, data: OutcomeInput, *, today: date
) -> OutcomeMeasure:
    """Scores and stores an outcome measure; ``today`` is the patient's local date (the time
    zone of their plans, or UTC)."""
    _not_in_the_future(data.taken_on, today, ["body", "taken_on"])
    rule = outcome_rules()[data.instrument]
    if isinstance(data, PegInput):
        items = [(name, getattr(data.items, name)) for name in rule.item_ids]
    else:
        names = [activity.activity.casefold() for activity in data.activities]
        if len(set(names)) != len(names):
            raise UnprocessableContent(
                "Each PSFS activity is named once.",
                errors=[
                    {
                        "loc": ["body", "activities"],
                        "msg": "Activities must be distinct",
                        "type": "duplicate",
                    }
                ],
            )
        items = [(activity.activity, activity.score) for activity in data.activities]
    scored = score(rule, items)
    record = OutcomeMeasure(
        organisation_id=patient.organisation_id,
        patient_id=patient.id,
        instrument=rule.id.value,
        timepoint=data.timepoint.value,
        taken_on=data.taken_on,
        items=[{"name": item.name, "score": item.score} for item in scored.items],
        score=scored.score,
    )
    session.add(record)
    session.flush()
    return record


def get_outcome(session: Session, patient: Patient, outcome_id: uuid.UUID) -> OutcomeMeasure:
    record = session.exec(
        records_of(OutcomeMeasure, patient).where(OutcomeMeasure.id == outcome_id)
    ).first()
    if record is None:
        raise NotFound(f"No outcome measure {outcome_id} for this patient.")
    return record


def list_outcomes(
    session: Session, patient: Patient, *, limit: int, cursor: str | None
) -> tuple[list[OutcomeMeasure], str | None]:
    query = records_of(OutcomeMeasure, patient)
    return keyset_page(session, query, OutcomeMeasure, limit=limit, cursor=cursor)


def all_outcomes(session: Session, patient: Patient) -> list[OutcomeMeasure]:
    """Oldest first (the order of a series over time)."""
    query = records_of(OutcomeMeasure, patient).order_by(
        col(OutcomeMeasure.created_at), col(OutcomeMeasure.id)
    )
    return list(session.exec(query))


def stored_outcome(record: OutcomeMeasure) -> StoredOutcome:
    rule = outcome_rules()[Instrument(record.instrument)]
    return StoredOutcome(
        id=record.id,
        patient_id=record.patient_id,
        instrument=rule.id,
        timepoint=Timepoint(record.timepoint),
        taken_on=record.taken_on,
        items=[OutcomeItem.model_validate(item) for item in record.items],
        score=record.score,
        higher_is_better=rule.higher_is_better,
        source=rule.source,
        created_at=record.created_at,
    )
