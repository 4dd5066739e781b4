"""Patients and their stored assessments and plans: every query filters on the caller's
organisation, so another organisation's rows are indistinguishable from missing ones. Writes
are flushed, never committed: the request's unit of work commits them."""

import contextlib
import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import bindparam, delete, or_, update
from sqlalchemy import select as select_columns
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.assessments import AssessmentAnswers, AssessmentResult, Assessments, ResultTokens, Triage
from app.catalogue import CatalogueSnapshot
from app.core.db import Reads, Record, utc_now
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.http.conditional import Precondition, stale
from app.http.pagination import CursorModel, UtcTimestamp, decode_cursor, encode_cursor
from app.idempotency import forget_patient
from app.patients.models import Patient, PatientAssessment, PatientPlan
from app.patients.schemas import (
    PatientAttributes,
    PatientCreate,
    PatientExport,
    PatientPlanRequest,
    PatientPublic,
    PatientUpdate,
    PlanStatus,
    PlanStop,
    PlanStopReason,
    StoredAssessment,
    StoredPlan,
    StoredPlanSummary,
)
from app.plans import (
    AssessmentSource,
    Plan,
    Planner,
    ScoredBasis,
    options_of,
    refusal,
    scored_answers,
    scored_basis,
)

# A stored plan may start this many days before today (issue 12 §1).
MAX_DAYS_IN_THE_PAST = 28

# Any table with the columns a keyset page reads (``created_at``, ``id``) and, for records, the
# patient's (``organisation_id``, ``patient_id``): other domains page their own tables with them.
RowT = TypeVar("RowT", bound=SQLModel)
RecordT = TypeVar("RecordT", bound=SQLModel)


class DuplicateExternalReference(Conflict):
    """The reference is taken; ``holder_id`` is the patient holding it, whom the 409 names."""

    code = "duplicate_external_reference"

    def __init__(self, reference: str, *, holder_id: uuid.UUID | None) -> None:
        super().__init__(
            f"Another patient in your organisation has external_reference '{reference}'.",
            errors=[
                {
                    "loc": ["body", "external_reference"],
                    "msg": "Already used by another patient",
                    "type": "duplicate",
                }
            ],
        )
        self.holder_id = holder_id


class NoStoredAssessment(Conflict):
    code = "no_stored_assessment"


class StoredAssessmentOutdated(Conflict):
    code = "stored_assessment_outdated"


class InvalidStatusChange(Conflict):
    code = "invalid_status_change"


class RecordCursor(CursorModel):
    """Keyset position: the last item on the previous page, by creation time, then id."""

    created_at: UtcTimestamp
    id: uuid.UUID


# --- patients ----------------------------------------------------------------------------------


def create_patient(
    session: Session, organisation_id: uuid.UUID, data: PatientCreate
) -> tuple[PatientPublic, int]:
    """A new patient and its version, inserted by one statement, built once, that skips a
    taken reference (``ON CONFLICT DO NOTHING``, on both backends): no savepoint around it, no
    error to recover from, no ORM object to build and flush. A concurrent insert of the same
    reference waits for the first to end: it inserts nothing (a 409) if that one commits, and
    its row if that one rolls back."""
    now = utc_now()
    row = {
        "id": uuid.uuid4(),
        "organisation_id": organisation_id,
        "external_reference": data.external_reference,
        "attributes": data.attributes.model_dump(mode="json"),
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    inserted = session.connection().execute(
        _INSERT_UNLESS_TAKEN[session.get_bind().dialect.name], row
    )
    if inserted.first() is None:
        raise DuplicateExternalReference(
            data.external_reference,
            holder_id=_holder_of(session, organisation_id, data.external_reference),
        )
    return PatientPublic.model_validate({name: row[name] for name in PatientPublic.model_fields}), 1


# The two busiest statements on patients, built once as Core statements: no ORM object,
# session bookkeeping or savepoint around them.
_PATIENT_TABLE = Patient.__table__  # type: ignore[attr-defined]
# A read of one patient (``Reads`` runs it, outside the unit of work): what the response needs.
_PATIENT_READ = ("id", "external_reference", "attributes", "created_at", "updated_at", "version")
_PATIENT_BY_ID = select_columns(*(_PATIENT_TABLE.c[name] for name in _PATIENT_READ)).where(
    _PATIENT_TABLE.c.id == bindparam("patient_id"),
    _PATIENT_TABLE.c.organisation_id == bindparam("organisation_id"),
)
# A new patient (the red-flag marker starts empty), unless the reference is taken. It returns
# the row it inserted, or none: a driver's rowcount for this statement can be unknown (-1).
_PATIENT_INSERTED = (*_PATIENT_READ, "organisation_id")
_INSERT_UNLESS_TAKEN = {
    dialect: insert(_PATIENT_TABLE)
    .values({name: bindparam(name) for name in _PATIENT_INSERTED})
    .on_conflict_do_nothing(index_elements=["organisation_id", "external_reference"])
    .returning(_PATIENT_TABLE.c.id)
    for dialect, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


async def read_patient(
    reads: Reads, organisation_id: uuid.UUID, patient_id: uuid.UUID
) -> tuple[PatientPublic, int]:
    """The caller's own patient and its version, for a read that changes nothing; another
    organisation's patient is a 404, exactly like a missing one."""
    row = await reads.first(
        _PATIENT_BY_ID, {"patient_id": patient_id, "organisation_id": organisation_id}
    )
    if row is None:
        raise NotFound(f"No patient {patient_id}.")
    return patient_public(row), row.version


def get_patient(session: Session, organisation_id: uuid.UUID, patient_id: uuid.UUID) -> Patient:
    patient = session.exec(
        select(Patient).where(Patient.id == patient_id, Patient.organisation_id == organisation_id)
    ).first()
    if patient is None:
        raise NotFound(f"No patient {patient_id}.")
    return patient


def list_patients(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    external_reference: str | None,
) -> tuple[list[Patient], str | None]:
    query = select(Patient).where(Patient.organisation_id == organisation_id)
    if external_reference is not None:
        query = query.where(Patient.external_reference == external_reference)
    return keyset_page(session, query, Patient, limit=limit, cursor=cursor, newest_first=False)


def update_patient(
    session: Session, patient: Patient, data: PatientUpdate, precondition: Precondition
) -> Patient:
    if not precondition.allows(patient.version):
        raise stale()
    changes: dict[str, Any] = {}
    if (
        data.external_reference is not None
        and data.external_reference != patient.external_reference
    ):
        changes["external_reference"] = data.external_reference
    if data.attributes is not None:
        merged = {
            **patient.attributes,
            **data.attributes.model_dump(mode="json", exclude_unset=True),
        }
        if merged != patient.attributes:
            changes["attributes"] = PatientAttributes.model_validate(merged).model_dump(mode="json")
    if not changes:
        return patient
    reference = changes.get("external_reference", patient.external_reference)
    with _unique_reference(session, patient.organisation_id, reference):
        compare_and_set(session, Patient, patient.id, patient.version, changes)
    session.refresh(patient)
    return patient


def erase_patient(session: Session, patient: Patient, precondition: Precondition) -> None:
    """Delete the patient and everything stored for them, in the request's transaction. The
    foreign keys cascade too; the explicit deletes make erasure independent of that
    configuration."""
    if not precondition.allows(patient.version):
        raise stale()
    forget_patient(session, patient.id)
    for table in (PatientPlan, PatientAssessment):
        session.execute(delete(table).where(col(table.patient_id) == patient.id))
    _one_row_or_stale(
        session.execute(
            delete(Patient).where(
                col(Patient.id) == patient.id, col(Patient.version) == patient.version
            )
        ),
    )


def patient_public(patient: Patient | Record) -> PatientPublic:
    """From a stored patient, or from a row of ``_PATIENT_BY_ID``."""
    return PatientPublic.model_validate(patient, from_attributes=True)


@contextlib.contextmanager
def _unique_reference(
    session: Session, organisation_id: uuid.UUID, reference: str
) -> Iterator[None]:
    """The database's unique constraint is the one check: whether the reference was taken
    before or by a concurrent writer, the write fails and becomes a 409. The write runs in a
    savepoint, so the refusal undoes it alone and the request's transaction stays usable."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError:
        holder_id = _holder_of(session, organisation_id, reference)
        raise DuplicateExternalReference(reference, holder_id=holder_id) from None


def _holder_of(session: Session, organisation_id: uuid.UUID, reference: str) -> uuid.UUID | None:
    return session.exec(
        select(Patient.id).where(
            Patient.organisation_id == organisation_id,
            Patient.external_reference == reference,
        )
    ).first()


# --- assessments -------------------------------------------------------------------------------


def lock_patient(session: Session, patient: Patient) -> None:
    """Take the patient's row lock before anything else the transaction writes, so the writes
    that decide whether the patient may exercise queue behind each other: a red flag (stored
    assessment or daily log) stopping the running plans, and a new plan checking for one. On
    PostgreSQL this is ``SELECT ... FOR UPDATE`` (without it a plan stored while a red-flag log
    commits stays active); SQLite's writers already queue (app/core/db.py). The row is read
    again, so a red flag committed meanwhile is seen."""
    session.exec(
        select(Patient)
        .where(col(Patient.id) == patient.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def store_assessment(
    session: Session,
    patient: Patient,
    answers: AssessmentAnswers,
    *,
    assessments: Assessments,
    catalogue: CatalogueSnapshot,
) -> PatientAssessment:
    result = assessments.score(answers, catalogue)
    lock_patient(session, patient)
    record = PatientAssessment(
        organisation_id=patient.organisation_id,
        patient_id=patient.id,
        answers=answers.model_dump(mode="json"),
        result=result.model_dump(mode="json"),
    )
    session.add(record)
    session.flush()
    if result.triage.level.blocks_exercise:
        # In the same transaction: the assessment and the stop land together or not at all.
        stop_running_plans(session, patient, result.triage, assessment_id=record.id)
    return record


def stop_running_plans(
    session: Session,
    patient: Patient,
    triage: Triage,
    *,
    assessment_id: uuid.UUID | None = None,
    log_date: date | None = None,
) -> PlanStop:
    """An emergency or urgent triage, of a stored assessment or of a daily log's red-flag
    answers, stops every active or paused plan of the patient (PG-8), each with the reason and
    the triage, and a new version (so its ETag changes). Returns the stop it recorded."""
    stop = PlanStop(
        reason=PlanStopReason.red_flag,
        stopped_at=utc_now(),
        assessment_id=assessment_id,
        log_date=log_date,
        triage=triage,
    )
    running = [PlanStatus.active.value, PlanStatus.paused.value]
    session.execute(
        update(PatientPlan)
        .where(
            col(PatientPlan.organisation_id) == patient.organisation_id,
            col(PatientPlan.patient_id) == patient.id,
            col(PatientPlan.status).in_(running),
        )
        .values(
            status=PlanStatus.stopped.value,
            stop=stop.model_dump(mode="json"),
            version=col(PatientPlan.version) + 1,
            updated_at=stop.stopped_at,
        )
        .execution_options(synchronize_session="fetch")
    )
    return stop


def get_assessment(
    session: Session, patient: Patient, assessment_id: uuid.UUID
) -> PatientAssessment:
    return _record(session, PatientAssessment, patient, assessment_id, "assessment")


def list_assessments(
    session: Session, patient: Patient, *, limit: int, cursor: str | None
) -> tuple[list[PatientAssessment], str | None]:
    return keyset_page(
        session,
        records_of(PatientAssessment, patient),
        PatientAssessment,
        limit=limit,
        cursor=cursor,
    )


def all_assessments(session: Session, patient: Patient) -> list[PatientAssessment]:
    return list(
        session.exec(_newest_first(records_of(PatientAssessment, patient), PatientAssessment))
    )


def stored_assessment(record: PatientAssessment) -> StoredAssessment:
    return StoredAssessment.model_validate(
        {
            "id": record.id,
            "patient_id": record.patient_id,
            "created_at": record.created_at,
            "answers": record.answers,
            "result": record.result,
        }
    )


# --- plans -------------------------------------------------------------------------------------


def create_plan(
    session: Session,
    patient: Patient,
    request: PatientPlanRequest,
    *,
    planner: Planner,
    assessments: Assessments,
    tokens: ResultTokens,
    catalogue: CatalogueSnapshot,
) -> PatientPlan:
    """A plan from the request's assessment, or else from the latest stored one scored again;
    never while the latest stored assessment carries a red flag."""
    _refuse_a_start_long_gone(request)
    lock_patient(session, patient)
    latest = _latest_assessment(session, patient)
    if latest is not None:
        _refuse_after_a_red_flag(latest)
    _refuse_after_a_red_flag_log(patient, latest)
    if request.assessment is not None:
        basis = scored_basis(
            request.assessment, catalogue=catalogue, assessments=assessments, tokens=tokens
        )
        hashed: Any = request.model_dump(mode="json")
    else:
        if latest is None:
            raise NoStoredAssessment(
                "This patient has no stored assessment: store one first, or give `assessment` "
                "in the request."
            )
        basis = _stored_basis(latest, assessments, catalogue)
        hashed = {
            **request.model_dump(mode="json", exclude={"assessment"}),
            "assessment": {"kind": "stored_assessment", "id": str(latest.id)},
        }
    plan = planner.plan(
        options_of(request), basis, request=hashed, catalogue=catalogue, assessments=assessments
    )
    record = PatientPlan(
        organisation_id=patient.organisation_id,
        patient_id=patient.id,
        assessment_id=basis.assessment_id,
        status=PlanStatus.active.value,
        plan=plan.model_dump(mode="json"),
    )
    session.add(record)
    session.flush()
    return record


def _latest_assessment(session: Session, patient: Patient) -> PatientAssessment | None:
    return session.exec(
        _newest_first(records_of(PatientAssessment, patient), PatientAssessment).limit(1)
    ).first()


def _refuse_after_a_red_flag(latest: PatientAssessment) -> None:
    triage = AssessmentResult.model_validate(latest.result).triage
    if triage.level.blocks_exercise:
        raise refusal(triage)


def _refuse_a_start_long_gone(request: PatientPlanRequest) -> None:
    """A stored plan may start up to ``MAX_DAYS_IN_THE_PAST`` days before today in its own time
    zone (a clinic records a plan the patient began last week, whose days can then be logged);
    an earlier start is a 422 naming ``start_date``."""
    today = datetime.now(ZoneInfo(request.time_zone)).date()
    earliest = today - timedelta(days=MAX_DAYS_IN_THE_PAST)
    if request.start_date < earliest:
        raise UnprocessableContent(
            f"A stored plan may start at most {MAX_DAYS_IN_THE_PAST} days ago "
            f"(on or after {earliest.isoformat()} in {request.time_zone}).",
            errors=[
                {
                    "loc": ["body", "start_date"],
                    "msg": f"Must be on or after {earliest.isoformat()}",
                    "type": "start_date_too_early",
                }
            ],
        )


def record_log_red_flag(session: Session, patient: Patient, triage: Triage, log_date: date) -> None:
    """A daily log's emergency or urgent red flag: every running plan stops, and the patient
    gets no new plan until an assessment is stored after it (even when no plan was running)."""
    stop = stop_running_plans(session, patient, triage, log_date=log_date)
    patient.red_flag_log = stop.model_dump(mode="json")
    session.add(patient)
    session.flush()


def _refuse_after_a_red_flag_log(patient: Patient, latest: PatientAssessment | None) -> None:
    """A daily log's red flag since the latest stored assessment means no new plan: as after
    a red-flag assessment, a new assessment comes first."""
    if patient.red_flag_log is None:
        return
    flag = PlanStop.model_validate(patient.red_flag_log)
    if flag.triage is not None and (latest is None or flag.stopped_at > latest.created_at):
        raise refusal(flag.triage)


def _stored_basis(
    record: PatientAssessment, assessments: Assessments, catalogue: CatalogueSnapshot
) -> ScoredBasis:
    """The stored answers scored again with the current ruleset: the server decides the
    triage now, not whatever an older ruleset said."""
    try:
        answers = AssessmentAnswers.model_validate(record.answers)
    except ValidationError:
        raise StoredAssessmentOutdated(
            f"The latest stored assessment ({record.id}) does not answer every question the "
            "current screening asks: store a new assessment, or give `assessment` in the request."
        ) from None
    return scored_answers(
        answers,
        AssessmentSource.stored_assessment,
        assessments=assessments,
        catalogue=catalogue,
        assessment_id=record.id,
    )


def get_plan(session: Session, patient: Patient, plan_id: uuid.UUID) -> PatientPlan:
    return _record(session, PatientPlan, patient, plan_id, "plan")


def list_plans(
    session: Session, patient: Patient, *, limit: int, cursor: str | None
) -> tuple[list[PatientPlan], str | None]:
    return keyset_page(
        session, records_of(PatientPlan, patient), PatientPlan, limit=limit, cursor=cursor
    )


def all_plans(session: Session, patient: Patient) -> list[PatientPlan]:
    return list(session.exec(_newest_first(records_of(PatientPlan, patient), PatientPlan)))


# --- export ------------------------------------------------------------------------------------


def export_patient(session: Session, patient: Patient) -> PatientExport:
    """Everything stored for the patient (data portability): the patient, every assessment and
    every plan, newest first."""
    return PatientExport(
        exported_at=utc_now(),
        patient=patient_public(patient),
        assessments=[stored_assessment(a) for a in all_assessments(session, patient)],
        plans=[stored_plan(p) for p in all_plans(session, patient)],
    )


# Stopped and completed are final: a new plan is generated instead.
_ALLOWED_STATUS_CHANGES = {
    PlanStatus.active: {PlanStatus.paused, PlanStatus.stopped, PlanStatus.completed},
    PlanStatus.paused: {PlanStatus.active, PlanStatus.stopped, PlanStatus.completed},
    PlanStatus.stopped: set(),
    PlanStatus.completed: set(),
}


def change_plan_status(
    session: Session, record: PatientPlan, status: PlanStatus, precondition: Precondition
) -> PatientPlan:
    if not precondition.allows(record.version):
        raise stale()
    current = PlanStatus(record.status)
    if status == current:
        return record
    if status not in _ALLOWED_STATUS_CHANGES[current]:
        raise InvalidStatusChange(f"A {current.value} plan cannot become {status.value}.")
    changes: dict[str, Any] = {"status": status.value}
    if status is PlanStatus.stopped:
        changes["stop"] = PlanStop(
            reason=PlanStopReason.requested, stopped_at=utc_now(), assessment_id=None, triage=None
        ).model_dump(mode="json")
    compare_and_set(session, PatientPlan, record.id, record.version, changes)
    session.refresh(record)
    return record


def plan_summary(record: PatientPlan) -> StoredPlanSummary:
    return StoredPlanSummary(**_summary_fields(record))


def stored_plan(record: PatientPlan) -> StoredPlan:
    """The stored plan as a model, its document validated from the stored data (for the export;
    single reads splice the stored document in, see :func:`stored_plan_json`)."""
    return StoredPlan(**_summary_fields(record), plan=Plan.model_validate(record.plan))


def _summary_fields(record: PatientPlan) -> dict[str, Any]:
    plan = record.plan
    return {
        "id": record.id,
        "patient_id": record.patient_id,
        "assessment_id": record.assessment_id,
        "status": PlanStatus(record.status),
        "revision": record.revision,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "start_date": plan["inputs"]["start_date"],
        "stop": plan_stop(record),
        "dataset_version": plan["dataset_version"],
        "ruleset_version": plan["ruleset_version"],
        "generator_version": plan["generator_version"],
    }


def plan_stop(record: PatientPlan) -> PlanStop | None:
    return None if record.stop is None else PlanStop.model_validate(record.stop)


def stored_plan_json(record: PatientPlan) -> bytes:
    """The stored plan as JSON, its document spliced in as stored: a plan is about a thousand
    items, and validating it again on every read would cost far more than the read."""
    summary = plan_summary(record).model_dump_json()
    return (
        summary[:-1] + ',"plan":' + json.dumps(record.plan, separators=(",", ":")) + "}"
    ).encode()


# --- shared ------------------------------------------------------------------------------------


def _columns(model: type[SQLModel]) -> Any:
    """The table's columns, by name (the callers' tables all have the ones they read)."""
    return model


def records_of(model: type[RecordT], patient: Patient) -> SelectOfScalar[RecordT]:
    return select(model).where(
        col(_columns(model).organisation_id) == patient.organisation_id,
        col(_columns(model).patient_id) == patient.id,
    )


def _record(
    session: Session, model: type[RecordT], patient: Patient, record_id: uuid.UUID, noun: str
) -> RecordT:
    record = session.exec(
        records_of(model, patient).where(col(_columns(model).id) == record_id)
    ).first()
    if record is None:
        raise NotFound(f"No {noun} {record_id} for this patient.")
    return record


def _newest_first(query: SelectOfScalar[RecordT], model: type[RecordT]) -> SelectOfScalar[RecordT]:
    table = _columns(model)
    return query.order_by(col(table.created_at).desc(), col(table.id).desc())


def keyset_page(
    session: Session,
    query: SelectOfScalar[RowT],
    model: type[RowT],
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = True,
) -> tuple[list[RowT], str | None]:
    created, ident = col(_columns(model).created_at), col(_columns(model).id)
    if cursor is not None:
        after = decode_cursor(cursor, RecordCursor)
        same_time = created == after.created_at
        if newest_first:
            query = query.where(or_(created < after.created_at, same_time & (ident < after.id)))
        else:
            query = query.where(or_(created > after.created_at, same_time & (ident > after.id)))
    if newest_first:
        query = query.order_by(created.desc(), ident.desc())
    else:
        query = query.order_by(created, ident)
    rows = list(session.exec(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last: Any = rows[limit - 1]
    position = RecordCursor(created_at=last.created_at, id=last.id)
    return rows[:limit], encode_cursor(position)


def compare_and_set(
    session: Session,
    model: type[SQLModel],
    row_id: uuid.UUID,
    version: int,
    changes: dict[str, Any],
) -> None:
    """Apply ``changes`` only if the row is still at ``version``: the check and the write are
    one statement, so of two racing updates with the same ETag exactly one wins."""
    table: Any = model
    result = session.execute(
        update(model)
        .where(col(table.id) == row_id, col(table.version) == version)
        .values(**changes, version=version + 1, updated_at=utc_now())
    )
    _one_row_or_stale(result)


def _one_row_or_stale(result: Any) -> None:
    """A write guarded by the row's version touched no row: someone changed it first (the
    request's transaction then rolls back whatever else it wrote)."""
    if getattr(result, "rowcount", 1) != 1:
        raise stale()
