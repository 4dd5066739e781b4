"""A patient's progress: daily logs, outcome measures, plan revisions and the summary. Every
route needs an API key; writing needs `logs:write`, reading `patients:read`."""

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi import Query as QueryParams
from pydantic import BaseModel

from app.assessments import AssessmentsDep
from app.catalogue import CatalogueDep
from app.http.body import JsonBody
from app.http.conditional import IfMatchHeader, private_content, version_etag
from app.http.dependencies import SessionDep
from app.http.openapi_examples import example_response
from app.http.problems import problem_responses
from app.http.query import NoQuery, PageQuery
from app.http.routing import path_for
from app.idempotency import IdempotencyKeyHeader, StoredResponse, respond_idempotently
from app.patients import OwnedPatient, OwnedPlan, plan_stop
from app.plans import Plan, calendar_response, plan_to_ical
from app.progress import examples, service
from app.progress.dependencies import AdapterDep
from app.progress.results import LogWritten
from app.progress.schemas import DailyLogInput
from app.progress.stored import (
    LogListQuery,
    OutcomeRequest,
    PatientProgressExport,
    PlanRevisionDetail,
    PlanRevisionPage,
    StoredLog,
    StoredLogPage,
    StoredOutcome,
    StoredOutcomePage,
)
from app.progress.summary import ProgressSummary
from app.tenants import KeyedRoute, Scope, needs

outcome_body = JsonBody(OutcomeRequest, examples=examples.OUTCOME_REQUESTS)
log_body = JsonBody(DailyLogInput, examples=examples.LOG_REQUESTS)

outcomes = APIRouter(
    prefix="/v1/patients/{patient_id}/outcomes", tags=["patient-progress"], route_class=KeyedRoute
)
_KEYED = (401, 403, 422)
_LOCATION: dict[str, Any] = {
    "Location": {"description": "The new resource.", "schema": {"type": "string"}}
}
_REPLAYED: dict[str, Any] = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response to an earlier request with the "
        "same Idempotency-Key.",
        "schema": {"type": "string", "const": "true"},
    }
}
OutcomeId = Annotated[uuid.UUID, Path(description="The outcome measure's id.")]


def _private_json(body: bytes | BaseModel, *, etag: str | None = None) -> Response:
    content = body if isinstance(body, bytes) else body.model_dump_json().encode()
    return private_content(content, etag=etag)


# --- outcome measures --------------------------------------------------------------------------


@outcomes.post(
    "",
    status_code=201,
    response_model=StoredOutcome,
    summary="Score and store an outcome measure",
    responses={
        201: {
            **example_response(examples.STORED_OUTCOME, summary="A PEG, scored"),
            "headers": {**_LOCATION, **_REPLAYED},
        },
        **problem_responses(400, *_KEYED, 404, 413),
    },
    openapi_extra=needs(Scope.logs_write, **outcome_body.openapi()),
)
def store_outcome(
    request: Request,
    patient: OwnedPatient,
    session: SessionDep,
    body: Annotated[bytes, Depends(outcome_body)],
    _: NoQuery,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Free-to-use instruments only, at `baseline`, `week_4` or `week_8`: **PEG** (Krebs et al.
    2009, J Gen Intern Med 24:733; three 0-10 items, score = their mean, higher is worse) and
    **PSFS** (Stratford et al. 1995, Physiotherapy Canada 47:258; 3-5 activities the patient
    names, each 0-10, score = their mean, higher is better). Licensed instruments (Oswestry
    Disability Index, Roland-Morris Disability Questionnaire, PROMIS) are not served. Pain
    (NPRS) is in the daily logs. `taken_on` is a 422 in the future (the time zone of the
    patient's latest plan, or UTC without a plan) and, as a log's date is, before the patient's
    first plan starts; without a plan, more than 28 days ago (the earliest a plan stored today
    may start)."""

    def create() -> StoredResponse:
        record = service.store_outcome(session, patient, outcome_body.parse(body).root)
        return StoredResponse(
            status_code=201,
            body=service.stored_outcome(record).model_dump_json().encode(),
            media_type="application/json",
            location=path_for(
                request, "get_outcome", patient_id=str(patient.id), outcome_id=str(record.id)
            ),
            patient_id=patient.id,
        )

    return respond_idempotently(
        request, session, idempotency_key, body, create, patient_id=patient.id
    )


@outcomes.get(
    "",
    response_model=StoredOutcomePage,
    summary="List a patient's outcome measures",
    responses={
        200: example_response(examples.STORED_OUTCOME_PAGE, summary="One PEG"),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def list_outcomes(
    patient: OwnedPatient, session: SessionDep, query: Annotated[PageQuery, QueryParams()]
) -> Response:
    """Newest first."""
    rows, next_cursor = service.list_outcomes(
        session, patient, limit=query.limit, cursor=query.cursor
    )
    page = StoredOutcomePage(
        items=[service.stored_outcome(row) for row in rows], next_cursor=next_cursor
    )
    return _private_json(page)


@outcomes.get(
    "/{outcome_id}",
    response_model=StoredOutcome,
    summary="Get an outcome measure",
    responses={
        200: example_response(examples.STORED_OUTCOME, summary="A PEG, scored"),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def get_outcome(
    outcome_id: OutcomeId, patient: OwnedPatient, session: SessionDep, _: NoQuery
) -> Response:
    return _private_json(service.stored_outcome(service.get_outcome(session, patient, outcome_id)))


# --- daily logs --------------------------------------------------------------------------------

logs = APIRouter(
    prefix="/v1/patients/{patient_id}/logs", tags=["patient-progress"], route_class=KeyedRoute
)
LogDate = Annotated[
    date, Path(alias="date", description="The log's local date (the plan's time zone).")
]
_ETAG: dict[str, Any] = {
    "ETag": {"description": "Send back as `If-Match` to replace it.", "schema": {"type": "string"}}
}


@logs.put(
    "/{date}",
    response_model=LogWritten,
    summary="Store a daily log",
    responses={
        200: {
            "description": "The log replaced an earlier one.",
            **example_response(examples.LOG_WRITTEN, summary="A pain rise steps the plan back"),
            "headers": _ETAG,
        },
        201: {
            "model": LogWritten,
            "description": "The log is new.",
            **example_response(examples.LOG_WRITTEN, summary="A pain rise steps the plan back"),
            "headers": _ETAG,
        },
        **problem_responses(400, *_KEYED, 404, 409, 412, 413, 428),
    },
    openapi_extra=needs(Scope.logs_write, **log_body.openapi()),
)
def store_log(
    log_date: LogDate,
    patient: OwnedPatient,
    session: SessionDep,
    catalogue: CatalogueDep,
    scorer: AssessmentsDep,
    adapter: AdapterDep,
    body: Annotated[bytes, Depends(log_body)],
    if_match_header: IfMatchHeader,
    _: NoQuery,
) -> Response:
    """One log per patient per local date (the plan's time zone): pain (NPRS 0-10), pain after
    exercise, hip mobility, the movements that brought relief, which of the plan's sessions of
    that day were done (by the session's `id`), sharp pain on an exercise and side, the
    red-flag questions and a short note. Creating needs no `If-Match`; replacing needs the
    `ETag` last read (428 without it, 412 when stale).

    The server scores the red-flag answers: an emergency or urgent triage stops every active
    or paused plan of the patient, as a stored red-flag assessment does. Otherwise each running
    plan is adapted to the logs (pain-gated; see `POST /v1/plans/adapt`), and a changed plan
    gets a new revision. All in one transaction. 409 `no_plan` without a stored plan; 422 for a
    date in the future or before the first plan, and for slugs or sessions the catalogue or the
    plan does not hold (naming the field)."""
    written = service.store_log(
        session,
        patient,
        log_date,
        log_body.parse(body),
        if_match_header,
        assessments=scorer,
        catalogue=catalogue,
        adapter=adapter,
    )
    result = LogWritten(
        log=service.stored_log(written.record, scorer),
        triage=written.triage,
        plans=written.plans,
    )
    return private_content(
        result.model_dump_json().encode(),
        status_code=201 if written.record.version == 1 else 200,
        etag=version_etag(written.record.version),
    )


@logs.get(
    "/{date}",
    response_model=StoredLog,
    summary="Get a daily log",
    responses={
        200: {**example_response(examples.STORED_LOG, summary="A log"), "headers": _ETAG},
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def get_log(
    log_date: LogDate,
    patient: OwnedPatient,
    session: SessionDep,
    scorer: AssessmentsDep,
    _: NoQuery,
) -> Response:
    record = service.get_log(session, patient, log_date)
    return _private_json(service.stored_log(record, scorer), etag=version_etag(record.version))


@logs.get(
    "",
    response_model=StoredLogPage,
    summary="List a patient's daily logs",
    responses={
        200: example_response(examples.STORED_LOG_PAGE, summary="One log"),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def list_logs(
    patient: OwnedPatient,
    session: SessionDep,
    scorer: AssessmentsDep,
    query: Annotated[LogListQuery, QueryParams()],
) -> Response:
    """Newest date first, optionally between `from_date` and `to_date` (inclusive)."""
    rows, next_cursor = service.list_logs(
        session,
        patient,
        first=query.from_date,
        last=query.to_date,
        limit=query.limit,
        cursor=query.cursor,
    )
    page = StoredLogPage(
        items=[service.stored_log(row, scorer) for row in rows], next_cursor=next_cursor
    )
    return _private_json(page)


# --- plan revisions and the summary ------------------------------------------------------------

progress = APIRouter(
    prefix="/v1/patients/{patient_id}", tags=["patient-progress"], route_class=KeyedRoute
)


@progress.get(
    "/plans/{plan_id}/revisions",
    response_model=PlanRevisionPage,
    summary="List a stored plan's revisions",
    responses={
        200: example_response(examples.REVISION_PAGE, summary="Generated, then adapted twice"),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def list_revisions(
    record: OwnedPlan, session: SessionDep, query: Annotated[PageQuery, QueryParams()]
) -> Response:
    """Newest first: each revision's number (1 is the plan as generated), the log that made
    it, and what it changed and why (rule, source, reason, days). The plan itself
    (`GET .../plans/{plan_id}`) is the current revision."""
    items, next_cursor = service.list_revisions(
        session, record, limit=query.limit, cursor=query.cursor
    )
    return _private_json(PlanRevisionPage(items=items, next_cursor=next_cursor))


@progress.get(
    "/plans/{plan_id}/revisions/{number}",
    response_model=PlanRevisionDetail,
    summary="Get one revision of a stored plan",
    responses={
        200: example_response(examples.REVISION_DETAIL, summary="Stepped back after a pain rise"),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def get_revision(
    number: Annotated[int, Path(ge=1, le=100_000, description="The revision's number.")],
    record: OwnedPlan,
    session: SessionDep,
    _: NoQuery,
) -> Response:
    """The plan as that revision left it, its changes and reasons, and what differs from the
    revision before, item by item (`added`, `removed`, `changed`, `reordered`)."""
    return _private_json(service.get_revision(session, record, number))


@progress.get(
    "/progress",
    response_model=ProgressSummary,
    summary="A patient's progress summary",
    responses={
        200: example_response(examples.PROGRESS, summary="Eleven days logged, then a red flag"),
        **problem_responses(*_KEYED, 404, 409),
    },
    openapi_extra=needs(Scope.patients_read),
)
def get_progress(
    patient: OwnedPatient, session: SessionDep, scorer: AssessmentsDep, _: NoQuery
) -> Response:
    """Over the patient's latest plan: the daily pain with its 7-day rolling mean; the change
    from baseline (the week before the plan when logged, else its first week) labelled
    improved, worse or no meaningful change by the 2-point rule (Farrar et al. 2001); adherence
    (planned against done, per week and per kind of session, for the days so far); relief
    movements ranked; sharp-pain reports; red flags; days since the last log; outcome scores
    over time. 409 `no_plan` without a stored plan."""
    return _private_json(service.progress_summary(session, patient, scorer))


# --- what the patients' routes serve with the progress records ---------------------------------

exports = APIRouter(prefix="/v1/patients", tags=["patients"], route_class=KeyedRoute)


@exports.get(
    "/{patient_id}/export",
    response_model=PatientProgressExport,
    summary="Export everything stored for a patient",
    responses={
        200: example_response(
            examples.PATIENT_EXPORT, summary="A patient assessed once, with a plan not yet logged"
        ),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_export),
)
def export_patient(
    patient: OwnedPatient, session: SessionDep, scorer: AssessmentsDep, _: NoQuery
) -> Response:
    """The patient, every stored assessment, plan and plan revision, every daily log and
    outcome measure, as one JSON document."""
    return _private_json(service.export(session, patient, scorer))


# The stored plan's calendar belongs with the plans (one tag, so the docs show it once); it is
# served here because it follows the plan's revisions.
plan_calendar = APIRouter(
    prefix="/v1/patients/{patient_id}", tags=["patient-plans"], route_class=KeyedRoute
)


@plan_calendar.get(
    "/plans/{plan_id}/calendar",
    summary="A stored plan as iCalendar",
    response_class=Response,
    responses={
        200: calendar_response(examples.CALENDAR),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def get_plan_calendar(record: OwnedPlan, session: SessionDep, _: NoQuery) -> Response:
    """Every session of the stored plan as events in its time zone, with reminders, for a
    calendar app. Once the plan is stopped, every event after the stop is cancelled (same UIDs,
    higher SEQUENCE), so a subscribed calendar clears itself. An adapted plan's calendar is its
    current revision: an event a revision changed keeps its UID with a higher SEQUENCE."""
    stop = plan_stop(record)
    return Response(
        plan_to_ical(
            Plan.model_validate(record.plan),
            stopped_at=stop.stopped_at if stop else None,
            earlier=service.earlier_revisions(session, record),
        ),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="hip-spine-plan.ics"',
        },
    )
