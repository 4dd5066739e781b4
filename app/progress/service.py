"""A patient's stored progress: outcome measures, daily logs, plan revisions and the summary.
Every query filters on the patient's organisation and id; writes are flushed, never
committed (the request's unit of work commits them)."""

import functools
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.assessments import AssessmentResult, Assessments, Triage, red_flag_triage
from app.catalogue import CatalogueSnapshot, SessionKind
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.http.conditional import if_match, stale
from app.http.pagination import CursorModel, decode_cursor, encode_cursor
from app.patients import (
    MAX_DAYS_IN_THE_PAST,
    Patient,
    PatientPlan,
    PlanStatus,
    all_assessments,
    all_plans,
    compare_and_set,
    export_patient,
    keyset_page,
    lock_patient,
    record_log_red_flag,
    records_of,
)
from app.plans import Plan
from app.progress.adaptation import ScoredLog
from app.progress.adapter import Adapter
from app.progress.checks import check_log
from app.progress.diff import plan_diff
from app.progress.models import OutcomeMeasure, PlanRevision, ProgressLog
from app.progress.outcomes import (
    Instrument,
    InstrumentRule,
    Timepoint,
    instrument_rules,
    score,
)
from app.progress.results import PlanAdaptation
from app.progress.schemas import DailyLogInput, DatedLog, PlanChange
from app.progress.stored import (
    OutcomeInput,
    OutcomeItem,
    PatientProgressExport,
    PegInput,
    PlanRevisionDetail,
    PlanRevisionPublic,
    StoredLog,
    StoredOutcome,
)
from app.progress.summary import (
    AssessmentFindings,
    DayLog,
    OutcomeScore,
    PlannedSession,
    ProgressSummary,
    summarise,
)

OUTCOMES_FILE = Path(__file__).resolve().parent / "data" / "outcomes.yaml"


@functools.cache
def outcome_rules() -> dict[Instrument, InstrumentRule]:
    with OUTCOMES_FILE.open(encoding="utf-8") as handle:
        return instrument_rules(yaml.safe_load(handle))


def local_today(time_zone: str) -> date:
    return datetime.now(ZoneInfo(time_zone)).date()


def _not_in_the_future(value: date, today: date, loc: list[str | int]) -> None:
    if value > today:
        raise UnprocessableContent(
            f"{value.isoformat()} is in the future (today is {today.isoformat()}).",
            errors=[{"loc": loc, "msg": "Must not be in the future", "type": "future_date"}],
        )


def _not_before(value: date, earliest: date, since: str, loc: list[str | int], kind: str) -> None:
    if value < earliest:
        raise UnprocessableContent(
            f"{value.isoformat()} is before {since} ({earliest.isoformat()}).",
            errors=[
                {"loc": loc, "msg": f"Must be on or after {earliest.isoformat()}", "type": kind}
            ],
        )


def _not_before_the_first_plan(
    value: date, plans: Sequence[PatientPlan], loc: list[str | int]
) -> None:
    """A patient's progress starts with their first plan: nothing is recorded before it."""
    first_start = min(plan_dates(p)[0] for p in plans)
    _not_before(value, first_start, "the patient's first plan starts", loc, "before_plan")


# --- outcome measures --------------------------------------------------------------------------


def store_outcome(session: Session, patient: Patient, data: OutcomeInput) -> OutcomeMeasure:
    """Scores and stores an outcome measure taken between the patient's first plan's start and
    today (the time zone of their latest plan), as a log's date is: outcomes are read beside
    the logs, as progress since the first plan. Without a plan, between the earliest day a
    plan stored today may start (``MAX_DAYS_IN_THE_PAST`` days ago, UTC) and today: never
    older than the logs a plan stored now could hold."""
    plans = all_plans(session, patient)
    at: list[str | int] = ["body", "taken_on"]
    today = local_today(plan_time_zone(plans[0]) if plans else "UTC")
    _not_in_the_future(data.taken_on, today, at)
    if plans:
        _not_before_the_first_plan(data.taken_on, plans, at)
    else:
        earliest = today - timedelta(days=MAX_DAYS_IN_THE_PAST)
        _not_before(data.taken_on, earliest, "the earliest a plan may start", at, "too_old")
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


# --- daily logs --------------------------------------------------------------------------------


class NoPlan(Conflict):
    code = "no_plan"


class LogCursor(CursorModel):
    d: date


@dataclass(frozen=True)
class LogResult:
    record: ProgressLog
    triage: Triage | None
    plans: list[PlanAdaptation]


def _running(record: PatientPlan) -> bool:
    return record.status in {PlanStatus.active.value, PlanStatus.paused.value}


def plan_time_zone(record: PatientPlan) -> str:
    zone: str = record.plan["inputs"]["time_zone"]
    return zone


def plan_dates(record: PatientPlan) -> tuple[date, date]:
    weeks = record.plan["weeks"]
    first = date.fromisoformat(weeks[0]["days"][0]["date"])
    last = date.fromisoformat(weeks[-1]["days"][-1]["date"])
    return first, last


def get_log(session: Session, patient: Patient, day: date) -> ProgressLog:
    record = session.exec(_logs_of(patient).where(ProgressLog.log_date == day)).first()
    if record is None:
        raise NotFound(f"No log of {day.isoformat()} for this patient.")
    return record


def _logs_of(patient: Patient) -> SelectOfScalar[ProgressLog]:
    # (organisation_id, patient_id, log_date): the index's leading columns, so every read of a
    # patient's logs by date is an index range scan.
    return select(ProgressLog).where(
        ProgressLog.organisation_id == patient.organisation_id,
        ProgressLog.patient_id == patient.id,
    )


def logs_between_query(patient: Patient, first: date, last: date) -> SelectOfScalar[ProgressLog]:
    """Oldest first: one range of the (organisation_id, patient_id, log_date) index."""
    query = _logs_of(patient).where(
        col(ProgressLog.log_date) >= first, col(ProgressLog.log_date) <= last
    )
    return query.order_by(col(ProgressLog.log_date))


def logs_between(session: Session, patient: Patient, first: date, last: date) -> list[ProgressLog]:
    return list(session.exec(logs_between_query(patient, first, last)))


def list_logs(
    session: Session,
    patient: Patient,
    *,
    first: date | None,
    last: date | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ProgressLog], str | None]:
    """Newest date first."""
    query = _logs_of(patient)
    if first is not None:
        query = query.where(col(ProgressLog.log_date) >= first)
    if last is not None:
        query = query.where(col(ProgressLog.log_date) <= last)
    if cursor is not None:
        query = query.where(col(ProgressLog.log_date) < decode_cursor(cursor, LogCursor).d)
    rows = list(session.exec(query.order_by(col(ProgressLog.log_date).desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_cursor(LogCursor(d=rows[limit - 1].log_date))


def store_log(
    session: Session,
    patient: Patient,
    day: date,
    data: DailyLogInput,
    if_match_header: str | None,
    *,
    assessments: Assessments,
    catalogue: CatalogueSnapshot,
    adapter: Adapter,
) -> LogResult:
    """Create or replace the patient's log of ``day``, then, in the same transaction, stop
    every running plan on a red flag or adapt each running plan to the logs."""
    lock_patient(session, patient)
    plans = all_plans(session, patient)
    if not plans:
        raise NoPlan(
            "This patient has no stored plan: a log is of a plan's day. Store a plan first."
        )
    today = local_today(plan_time_zone(plans[0]))
    _not_in_the_future(day, today, ["path", "date"])
    _not_before_the_first_plan(day, plans, ["path", "date"])
    dated = DatedLog.model_validate(
        {**data.model_dump(mode="json", exclude_unset=True), "date": day.isoformat()}
    )
    checked_record = _plan_for(plans, day)
    checked = Plan.model_validate(checked_record.plan)
    problems = check_log(checked, dated, today, date_at=("path", "date"))
    triage = red_flag_triage(data.red_flags, assessments.ruleset)
    if problems:
        # Nothing is stored; a red flag among the answers is still said first.
        urgent = f"{triage.advice} " if triage is not None else ""
        raise UnprocessableContent(
            urgent + "The log does not fit the plan: " + "; ".join(p["msg"] for p in problems[:3]),
            errors=problems,
            extensions={"triage": triage.model_dump(mode="json")} if triage else None,
        )
    record = _write_log(session, patient, day, data, if_match_header)
    running = [p for p in plans if _running(p)]
    if triage is not None:
        record_log_red_flag(session, patient, triage, day)
        for plan in running:
            session.refresh(plan)
        return LogResult(record, triage, [_adaptation(p, []) for p in running])
    results = [
        _adapt_plan(
            session,
            patient,
            plan,
            day,
            adapter,
            assessments,
            catalogue,
            validated=checked if plan is checked_record else None,
        )
        for plan in running
    ]
    return LogResult(record, None, results)


def _plan_for(plans: Sequence[PatientPlan], day: date) -> PatientPlan:
    """The plan a log of ``day`` is checked against: the newest running plan holding the day,
    else the newest plan holding it, else the newest plan (whose check then names the date)."""
    holding = [p for p in plans if plan_dates(p)[0] <= day <= plan_dates(p)[1]]
    running = [p for p in holding if _running(p)]
    chosen: PatientPlan = (running or holding or list(plans))[0]
    return chosen


def _adapt_plan(
    session: Session,
    patient: Patient,
    record: PatientPlan,
    day: date,
    adapter: Adapter,
    assessments: Assessments,
    catalogue: CatalogueSnapshot,
    *,
    validated: Plan | None,
) -> PlanAdaptation:
    """Replay the plan's logs on its revision 1 (the same logs always give the same plan); a
    red flag among them stops it, a result that differs from the current revision is stored as
    the next revision, with the changes not shown before. ``validated`` is the record's current
    plan when the caller has validated it already: until a log first changes the plan, that is
    revision 1, and a stored plan is hundreds of kilobytes to validate again."""
    first, last = plan_dates(record)
    scored = [
        ScoredLog(log=dated_log(log), triage=log_triage(log, assessments))
        for log in logs_between(session, patient, first, last)
    ]
    stored_first = _revision(session, record, 1)
    if stored_first is not None:
        original = Plan.model_validate(stored_first.plan)
    else:
        original = validated or Plan.model_validate(record.plan)
    result = adapter.adapt(original, scored, catalogue=catalogue)
    if result.stop is not None:
        record_log_red_flag(session, patient, result.stop, day)
        session.refresh(record)
        return _adaptation(record, [])
    adapted = result.plan.model_dump(mode="json")
    if adapted == record.plan:
        return _adaptation(record, [])
    shown = [
        change
        for changes in session.exec(
            select(col(PlanRevision.changes)).where(
                PlanRevision.organisation_id == record.organisation_id,
                PlanRevision.plan_id == record.id,
            )
        )
        for change in changes
    ]
    new = [c for c in result.changes if c.model_dump(mode="json") not in shown]
    number = record.revision + 1
    if stored_first is None:
        # Revision 1, the plan as generated, is kept when the first adaptation replaces it.
        session.add(_generated(record))
    session.add(
        PlanRevision(
            organisation_id=record.organisation_id,
            patient_id=record.patient_id,
            plan_id=record.id,
            number=number,
            log_date=day,
            plan=adapted,
            changes=[change.model_dump(mode="json") for change in new],
        )
    )
    compare_and_set(
        session, PatientPlan, record.id, record.version, {"plan": adapted, "revision": number}
    )
    session.refresh(record)
    return _adaptation(record, new)


def _revision(session: Session, record: PatientPlan, number: int) -> PlanRevision | None:
    return session.exec(
        select(PlanRevision).where(
            PlanRevision.organisation_id == record.organisation_id,
            PlanRevision.plan_id == record.id,
            PlanRevision.number == number,
        )
    ).first()


def _generated(record: PatientPlan) -> PlanRevision:
    """Revision 1 of a plan no log has changed yet: the stored plan itself."""
    return PlanRevision(
        organisation_id=record.organisation_id,
        patient_id=record.patient_id,
        plan_id=record.id,
        number=1,
        created_at=record.created_at,
        log_date=None,
        plan=record.plan,
        changes=[],
    )


def dated_log(record: ProgressLog) -> DatedLog:
    return DatedLog.model_validate({**record.body, "date": record.log_date.isoformat()})


def _write_log(
    session: Session,
    patient: Patient,
    day: date,
    data: DailyLogInput,
    if_match_header: str | None,
) -> ProgressLog:
    body = data.model_dump(mode="json", exclude_unset=True)
    existing = session.exec(_logs_of(patient).where(ProgressLog.log_date == day)).first()
    # Replacing needs the ETag the client last read: 428 without, 412 when stale. Creating
    # needs none, and fails with one: it names a log that is not there.
    precondition = if_match(if_match_header, required=existing is not None)
    if not precondition.allows(existing.version if existing is not None else None):
        raise stale()
    if existing is not None:
        _refuse_withdrawn_sharp_pain(existing.body, body)
        compare_and_set(session, ProgressLog, existing.id, existing.version, {"body": body})
        session.refresh(existing)
        return existing
    record = ProgressLog(
        organisation_id=patient.organisation_id, patient_id=patient.id, log_date=day, body=body
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        # A concurrent request created it first: replacing it needs its ETag.
        raise stale() from None
    return record


def _refuse_withdrawn_sharp_pain(stored: dict[str, Any], replacement: dict[str, Any]) -> None:
    """A replacement keeps every sharp-pain report of the log it replaces: the exercise was
    swapped on that side for the rest of the plan (AD-3), and a swapped exercise never returns
    there by an edit. Withdrawing a report is a clinician's decision, not a log correction."""
    kept = replacement.get("sharp_pain", [])
    withdrawn = [report for report in stored.get("sharp_pain", []) if report not in kept]
    if withdrawn:
        names = ", ".join(
            report["slug"] + (f" ({report['side']})" if report.get("side") else "")
            for report in withdrawn
        )
        raise UnprocessableContent(
            f"A replaced log keeps its sharp-pain reports ({names}): the exercise stays swapped "
            "on that side for the rest of the plan. Keep them in `sharp_pain`; a clinician "
            "can store a new plan if the report was a mistake.",
            errors=[
                {
                    "loc": ["body", "sharp_pain"],
                    "msg": f"Must still include: {names}",
                    "type": "sharp_pain_withdrawn",
                }
            ],
        )


def _adaptation(record: PatientPlan, changes: list[PlanChange]) -> PlanAdaptation:
    return PlanAdaptation(
        plan_id=record.id,
        status=PlanStatus(record.status),
        revision=record.revision,
        changes=changes,
    )


def log_triage(record: ProgressLog, assessments: Assessments) -> Triage | None:
    answers = DailyLogInput.model_validate(record.body)
    return red_flag_triage(answers.red_flags, assessments.ruleset)


def stored_log(record: ProgressLog, assessments: Assessments) -> StoredLog:
    return StoredLog.model_validate(
        {
            **record.body,
            "date": record.log_date,
            "patient_id": record.patient_id,
            "triage": log_triage(record, assessments),
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }
    )


# --- plan revisions ----------------------------------------------------------------------------


class RevisionCursor(CursorModel):
    n: int


def list_revisions(
    session: Session, record: PatientPlan, *, limit: int, cursor: str | None
) -> tuple[list[PlanRevisionPublic], str | None]:
    """Newest first, without their plans (the plan's own GET serves the current one)."""
    query = select(
        col(PlanRevision.number),
        col(PlanRevision.created_at),
        col(PlanRevision.log_date),
        col(PlanRevision.changes),
    ).where(
        PlanRevision.organisation_id == record.organisation_id,
        PlanRevision.plan_id == record.id,
    )
    if cursor is not None:
        query = query.where(col(PlanRevision.number) < decode_cursor(cursor, RevisionCursor).n)
    rows = list(session.exec(query.order_by(col(PlanRevision.number).desc()).limit(limit + 1)))
    if not rows and cursor is None:
        # Never adapted: revision 1 is the stored plan itself.
        rows = [(1, record.created_at, None, [])]
    page = [
        PlanRevisionPublic.model_validate(
            {"number": number, "created_at": created, "log_date": day, "changes": changes}
        )
        for number, created, day, changes in rows[:limit]
    ]
    if len(rows) <= limit:
        return page, None
    return page, encode_cursor(RevisionCursor(n=page[-1].number))


def get_revision(session: Session, record: PatientPlan, number: int) -> PlanRevisionDetail:
    """One revision with its plan and what differs from the revision before."""
    rows = list(
        session.exec(
            select(PlanRevision).where(
                PlanRevision.organisation_id == record.organisation_id,
                PlanRevision.plan_id == record.id,
                col(PlanRevision.number).in_([number - 1, number]),
            )
        )
    )
    by_number = {row.number: row for row in rows}
    if number == 1 and not by_number and record.revision == 1:
        by_number[1] = _generated(record)
    if number not in by_number:
        raise NotFound(f"No revision {number} of this plan.")
    return _revision_detail(by_number[number], by_number.get(number - 1))


def _revision_detail(revision: PlanRevision, before: PlanRevision | None) -> PlanRevisionDetail:
    plan = Plan.model_validate(revision.plan)
    return PlanRevisionDetail.model_validate(
        {
            "number": revision.number,
            "created_at": revision.created_at,
            "log_date": revision.log_date,
            "changes": revision.changes,
            "plan_id": revision.plan_id,
            "plan": plan,
            "diff": plan_diff(Plan.model_validate(before.plan), plan) if before else [],
        }
    )


def revision_plans(session: Session, record: PatientPlan) -> list[dict[str, Any]]:
    """Every revision's plan, oldest first (the calendar numbers its changes)."""
    query = (
        select(col(PlanRevision.plan))
        .where(
            PlanRevision.organisation_id == record.organisation_id,
            PlanRevision.plan_id == record.id,
        )
        .order_by(col(PlanRevision.number))
    )
    return [dict(plan) for plan in session.exec(query)]


def all_revisions(session: Session, patient: Patient) -> list[PlanRevision]:
    """Every revision of every plan of the patient, by plan, oldest first (revision 1 of a plan
    never adapted is the stored plan itself)."""
    stored = list(
        session.exec(
            records_of(PlanRevision, patient).order_by(
                col(PlanRevision.plan_id), col(PlanRevision.number)
            )
        )
    )
    kept = {revision.plan_id for revision in stored}
    never_adapted = [_generated(p) for p in all_plans(session, patient) if p.id not in kept]
    return stored + never_adapted


def all_logs(session: Session, patient: Patient) -> list[ProgressLog]:
    return list(session.exec(_logs_of(patient).order_by(col(ProgressLog.log_date))))


def earlier_revisions(session: Session, record: PatientPlan) -> list[Plan]:
    """The plan's revisions before the current one, oldest first."""
    plans = revision_plans(session, record)
    return [Plan.model_validate(plan) for plan in plans[: record.revision - 1]]


def _same_plan(before: PlanRevision | None, revision: PlanRevision) -> PlanRevision | None:
    return before if before is not None and before.plan_id == revision.plan_id else None


def export(session: Session, patient: Patient, assessments: Assessments) -> PatientProgressExport:
    """Everything stored for the patient: the patients' export, with every plan revision, daily
    log and outcome measure."""
    return PatientProgressExport(
        **dict(export_patient(session, patient)),
        plan_revisions=[
            _revision_detail(revision, _same_plan(before, revision))
            for before, revision in itertools.pairwise([None, *all_revisions(session, patient)])
            if revision is not None
        ],
        logs=[stored_log(record, assessments) for record in all_logs(session, patient)],
        outcomes=[stored_outcome(record) for record in all_outcomes(session, patient)],
    )


# --- the progress summary ----------------------------------------------------------------------


def progress_summary(
    session: Session, patient: Patient, assessments: Assessments
) -> ProgressSummary:
    """The summary over the patient's latest plan (its current revision): one index range scan
    of the logs of its days, whatever the table holds."""
    record = session.exec(
        records_of(PatientPlan, patient)
        .order_by(col(PatientPlan.created_at).desc(), col(PatientPlan.id).desc())
        .limit(1)
    ).first()
    if record is None:
        raise NoPlan("This patient has no stored plan: progress is measured against one.")
    first, last = plan_dates(record)
    today = local_today(plan_time_zone(record))
    logs = logs_between(session, patient, first, last)
    plan = _PlannedSessions.model_validate(record.plan)
    rules = outcome_rules()
    return summarise(
        [_day_log(log, assessments) for log in logs],
        [
            PlannedSession(date=day.date, week=week.week, kind=session_.kind, id=session_.id)
            for week in plan.weeks
            for day in week.days
            for session_ in day.sessions
        ],
        [
            OutcomeScore(
                instrument=o.instrument,
                timepoint=o.timepoint,
                taken_on=o.taken_on,
                score=o.score,
                higher_is_better=rules[Instrument(o.instrument)].higher_is_better,
            )
            for o in all_outcomes(session, patient)
        ],
        plan_start=first,
        today=today,
        assessments=[
            AssessmentFindings(
                assessment_id=a.id,
                taken_on=a.created_at.astimezone(ZoneInfo(plan_time_zone(record))).date(),
                findings=[f.code for f in AssessmentResult.model_validate(a.result).findings],
            )
            for a in reversed(all_assessments(session, patient))
        ],
    )


class _SessionRef(BaseModel):
    id: str
    kind: SessionKind


class _DayRef(BaseModel):
    date: date
    sessions: list[_SessionRef]


class _WeekRef(BaseModel):
    week: int
    days: list[_DayRef]


class _PlannedSessions(BaseModel):
    """Of a stored plan, what the summary reads: each session's id and kind, by day and week.
    Every other field is skipped unread (pydantic ignores extra keys), where validating the
    whole plan (some 350 KB of JSON, checked whole when it was stored) took most of a
    summary's time."""

    weeks: list[_WeekRef]


def _day_log(record: ProgressLog, assessments: Assessments) -> DayLog:
    log = DailyLogInput.model_validate(record.body)
    return DayLog(
        date=record.log_date,
        pain=log.pain,
        sessions_done=log.sessions_done,
        relief_movements=log.relief_movements,
        sharp_pain=[(sharp.slug, sharp.side) for sharp in log.sharp_pain],
        triage=red_flag_triage(log.red_flags, assessments.ruleset),
    )
