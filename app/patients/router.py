"""Patients and their stored assessments and plans. Every route needs an API key; what a route
needs beyond that is in its description and in its 403."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from app.assessments import AssessmentAnswers, AssessmentsDep, ResultTokensDep
from app.catalogue import CatalogueDep
from app.http.body import JsonBody
from app.http.conditional import IfMatchHeader, if_match, private_content, version_etag
from app.http.dependencies import SessionDep, reads_of
from app.http.openapi_examples import example_response, shared_example_response
from app.http.problems import problem_responses
from app.http.query import NoQuery, PageQuery
from app.http.routing import path_for
from app.idempotency import (
    IdempotencyKeyHeader,
    StoredResponse,
    respond_idempotently,
    stored_problem,
)
from app.patients import examples, service
from app.patients.dependencies import OwnedAssessment, OwnedPatient, OwnedPlan, PatientId
from app.patients.schemas import (
    PatientCreate,
    PatientListQuery,
    PatientPage,
    PatientPlanRequest,
    PatientPublic,
    PatientUpdate,
    PlanStatusChange,
    StoredAssessment,
    StoredAssessmentPage,
    StoredPlan,
    StoredPlanSummaryPage,
)
from app.plans import (
    NotEnoughTimeProblem,
    PlanConflict,
    PlannerDep,
)
from app.tenants import KeyedRoute, Scope, needs, principal_of

patient_body = JsonBody(PatientCreate, examples=examples.PATIENT_REQUESTS)
answers_body = JsonBody(AssessmentAnswers, examples=examples.ANSWER_REQUESTS)
plan_body = JsonBody(PatientPlanRequest, examples=examples.PLAN_REQUESTS_FOR_PATIENT)
# Bodies are read raw and validated in the handler, so the key, its scope and the path's ids are
# checked first: a caller without access learns nothing from how its body is judged.
patient_changes_body = JsonBody(PatientUpdate, examples=examples.PATIENT_CHANGES)
status_body = JsonBody(PlanStatusChange, examples=examples.STATUS_CHANGES)

patients_router = APIRouter(prefix="/v1/patients", tags=["patients"], route_class=KeyedRoute)
patient_assessments_router = APIRouter(
    prefix="/v1/patients/{patient_id}/assessments",
    tags=["patient-assessments"],
    route_class=KeyedRoute,
)
patient_plans_router = APIRouter(
    prefix="/v1/patients/{patient_id}/plans", tags=["patient-plans"], route_class=KeyedRoute
)

# Every patient route can answer these: no key, no scope, invalid input.
_KEYED = (401, 403, 422)
_ETAG: dict[str, Any] = {
    "ETag": {"description": "Send back as `If-Match` to change it.", "schema": {"type": "string"}}
}
_LOCATION: dict[str, Any] = {
    "Location": {"description": "The new resource.", "schema": {"type": "string"}}
}
_STORED_PLAN = shared_example_response("StoredPlan")
_PLAN_ERRORS = problem_responses(
    400, *_KEYED, 404, 409, 413, models={409: PlanConflict, 422: NotEnoughTimeProblem}
)
_PLAN_ERRORS[409].update(example_response(examples.PLAN_REFUSAL, summary="A red flag: no plan"))
_PLAN_ERRORS[422].update(
    example_response(
        examples.NOT_ENOUGH_TIME, summary="Five minutes a day cannot hold the essentials"
    )
)
_REPLAYED: dict[str, Any] = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response to an earlier request with the "
        "same Idempotency-Key.",
        "schema": {"type": "string", "const": "true"},
    }
}


def _private_json(body: bytes | BaseModel, *, etag: str | None = None) -> Response:
    content = body if isinstance(body, bytes) else body.model_dump_json().encode()
    return private_content(content, etag=etag)


def _created(
    body: bytes, *, location: str, etag: str | None, patient_id: uuid.UUID
) -> StoredResponse:
    return StoredResponse(
        status_code=201,
        body=body,
        media_type="application/json",
        location=location,
        etag=etag,
        patient_id=patient_id,
    )


# --- patients ----------------------------------------------------------------------------------


@patients_router.post(
    "",
    status_code=201,
    response_model=PatientPublic,
    summary="Create a patient",
    responses={
        201: {
            **example_response(examples.PATIENT, summary="The patient as stored"),
            "headers": {**_ETAG, **_LOCATION, **_REPLAYED},
        },
        **problem_responses(400, *_KEYED, 409, 413),
    },
    openapi_extra=needs(Scope.patients_write, **patient_body.openapi()),
)
def create_patient(
    request: Request,
    session: SessionDep,
    body: Annotated[bytes, Depends(patient_body)],
    _: NoQuery,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """A patient is your own `external_reference` (unique in your organisation) plus optional,
    non-identifying attributes. A reference already in use is a 409."""
    organisation_id = principal_of(request).organisation_id

    def create() -> StoredResponse:
        try:
            patient, version = service.create_patient(
                session, organisation_id, patient_body.parse(body)
            )
        except service.DuplicateExternalReference as taken:
            # The 409 names the patient holding the reference: erasing them erases it too.
            return stored_problem(request, taken, patient_id=taken.holder_id)
        return _created(
            patient.model_dump_json().encode(),
            location=path_for(request, "get_patient", patient_id=str(patient.id)),
            etag=version_etag(version),
            patient_id=patient.id,
        )

    return respond_idempotently(request, session, idempotency_key, body, create)


@patients_router.get(
    "",
    response_model=PatientPage,
    summary="List your patients",
    responses={
        200: example_response(examples.PATIENT_PAGE, summary="One patient, the last page"),
        **problem_responses(*_KEYED),
    },
    openapi_extra=needs(Scope.patients_read),
)
def list_patients(
    request: Request, session: SessionDep, query: Annotated[PatientListQuery, Query()]
) -> Response:
    """Oldest first; pass `next_cursor` back as `cursor` for the next page."""
    rows, next_cursor = service.list_patients(
        session,
        principal_of(request).organisation_id,
        limit=query.limit,
        cursor=query.cursor,
        external_reference=query.external_reference,
    )
    page = PatientPage(items=[service.patient_public(row) for row in rows], next_cursor=next_cursor)
    return _private_json(page)


@patients_router.get(
    "/{patient_id}",
    response_model=PatientPublic,
    summary="Get a patient",
    responses={
        200: {**example_response(examples.PATIENT, summary="A patient"), "headers": _ETAG},
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
async def get_patient(patient_id: PatientId, request: Request, _: NoQuery) -> Response:
    organisation_id = principal_of(request).organisation_id
    patient, version = await service.read_patient(reads_of(request), organisation_id, patient_id)
    return _private_json(patient, etag=version_etag(version))


@patients_router.patch(
    "/{patient_id}",
    response_model=PatientPublic,
    summary="Update a patient",
    responses={
        200: {**example_response(examples.PATIENT, summary="The patient now"), "headers": _ETAG},
        **problem_responses(400, *_KEYED, 404, 409, 412, 413, 428),
    },
    openapi_extra=needs(Scope.patients_write, **patient_changes_body.openapi()),
)
def update_patient(
    patient: OwnedPatient,
    session: SessionDep,
    body: Annotated[bytes, Depends(patient_changes_body)],
    if_match_header: IfMatchHeader,
    _: NoQuery,
) -> Response:
    """Needs `If-Match` with the ETag you last read: 428 without it, 412 if the patient changed
    since."""
    updated = service.update_patient(
        session,
        patient,
        patient_changes_body.parse(body),
        if_match(if_match_header, required=True),
    )
    return _private_json(service.patient_public(updated), etag=version_etag(updated.version))


@patients_router.delete(
    "/{patient_id}",
    status_code=204,
    summary="Erase a patient and everything stored for them",
    responses=problem_responses(*_KEYED, 404, 412),
    openapi_extra=needs(Scope.patients_write),
)
def erase_patient(
    patient: OwnedPatient, session: SessionDep, if_match_header: IfMatchHeader, _: NoQuery
) -> Response:
    """Deletes the patient, their assessments, plans and stored idempotent responses, for good.
    `If-Match` is honoured when sent."""
    service.erase_patient(session, patient, if_match(if_match_header, required=False))
    return Response(status_code=204)


# --- stored assessments ------------------------------------------------------------------------


@patient_assessments_router.post(
    "",
    status_code=201,
    response_model=StoredAssessment,
    summary="Score and store an assessment",
    responses={
        201: {
            **example_response(examples.STORED_ASSESSMENT, summary="The answers and their result"),
            "headers": {**_LOCATION, **_REPLAYED},
        },
        **problem_responses(400, *_KEYED, 404, 409, 413),
    },
    openapi_extra=needs(Scope.assessments_write, **answers_body.openapi()),
)
def store_assessment(
    request: Request,
    patient: OwnedPatient,
    session: SessionDep,
    catalogue: CatalogueDep,
    scorer: AssessmentsDep,
    body: Annotated[bytes, Depends(answers_body)],
    _: NoQuery,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Scores the answers exactly as `POST /v1/assessments/score` does and keeps the answers and
    the result, with the dataset and ruleset versions it was scored with. An emergency or urgent
    triage stops every active or paused plan of the patient in the same transaction (status
    `stopped`, `stop.reason` `red_flag`, with the triage); their calendars then cancel what
    remains."""

    def create() -> StoredResponse:
        record = service.store_assessment(
            session, patient, answers_body.parse(body), assessments=scorer, catalogue=catalogue
        )
        return _created(
            service.stored_assessment(record).model_dump_json().encode(),
            location=path_for(
                request, "get_assessment", patient_id=str(patient.id), assessment_id=str(record.id)
            ),
            etag=None,
            patient_id=patient.id,
        )

    return respond_idempotently(
        request, session, idempotency_key, body, create, patient_id=patient.id
    )


@patient_assessments_router.get(
    "",
    response_model=StoredAssessmentPage,
    summary="List a patient's stored assessments",
    responses={
        200: example_response(examples.STORED_ASSESSMENT_PAGE, summary="One assessment"),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def list_assessments(
    patient: OwnedPatient, session: SessionDep, query: Annotated[PageQuery, Query()]
) -> Response:
    """Newest first."""
    rows, next_cursor = service.list_assessments(
        session, patient, limit=query.limit, cursor=query.cursor
    )
    page = StoredAssessmentPage(
        items=[service.stored_assessment(row) for row in rows], next_cursor=next_cursor
    )
    return _private_json(page)


@patient_assessments_router.get(
    "/{assessment_id}",
    response_model=StoredAssessment,
    summary="Get a stored assessment",
    responses={
        200: example_response(examples.STORED_ASSESSMENT, summary="The answers and their result"),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def get_assessment(record: OwnedAssessment, _: NoQuery) -> Response:
    return _private_json(service.stored_assessment(record))


# --- stored plans ------------------------------------------------------------------------------


@patient_plans_router.post(
    "",
    status_code=201,
    response_model=StoredPlan,
    summary="Generate and store a plan",
    responses={
        201: {**_STORED_PLAN, "headers": {**_ETAG, **_LOCATION, **_REPLAYED}},
        **_PLAN_ERRORS,
    },
    openapi_extra=needs(Scope.plans_write, **plan_body.openapi()),
)
def create_plan(
    request: Request,
    patient: OwnedPatient,
    session: SessionDep,
    catalogue: CatalogueDep,
    scorer: AssessmentsDep,
    tokens: ResultTokensDep,
    planner: PlannerDep,
    body: Annotated[bytes, Depends(plan_body)],
    _: NoQuery,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Generates a plan as `POST /v1/plans/preview` does, from the patient's latest stored
    assessment (its answers scored again with the current ruleset) unless the request gives
    `assessment`, and stores it as `active`. 409 `red_flag` (with the triage) when the triage,
    or the latest stored assessment's, is emergency or urgent; 409 `no_stored_assessment` or
    `stored_assessment_outdated` when there is no usable stored assessment to plan from."""

    def create() -> StoredResponse:
        record = service.create_plan(
            session,
            patient,
            plan_body.parse(body),
            planner=planner,
            assessments=scorer,
            tokens=tokens,
            catalogue=catalogue,
        )
        return _created(
            service.stored_plan_json(record),
            location=path_for(
                request, "get_plan", patient_id=str(patient.id), plan_id=str(record.id)
            ),
            etag=version_etag(record.version),
            patient_id=patient.id,
        )

    return respond_idempotently(
        request, session, idempotency_key, body, create, patient_id=patient.id
    )


@patient_plans_router.get(
    "",
    response_model=StoredPlanSummaryPage,
    summary="List a patient's stored plans",
    responses={
        200: example_response(examples.STORED_PLAN_SUMMARY_PAGE, summary="One plan"),
        **problem_responses(*_KEYED, 404),
    },
    openapi_extra=needs(Scope.patients_read),
)
def list_plans(
    patient: OwnedPatient, session: SessionDep, query: Annotated[PageQuery, Query()]
) -> Response:
    """Newest first, without the day-by-day plan (get one plan for that)."""
    rows, next_cursor = service.list_plans(session, patient, limit=query.limit, cursor=query.cursor)
    page = StoredPlanSummaryPage(
        items=[service.plan_summary(row) for row in rows], next_cursor=next_cursor
    )
    return _private_json(page)


@patient_plans_router.get(
    "/{plan_id}",
    response_model=StoredPlan,
    summary="Get a stored plan",
    responses={200: {**_STORED_PLAN, "headers": _ETAG}, **problem_responses(*_KEYED, 404)},
    openapi_extra=needs(Scope.patients_read),
)
def get_plan(record: OwnedPlan, _: NoQuery) -> Response:
    return _private_json(service.stored_plan_json(record), etag=version_etag(record.version))


@patient_plans_router.patch(
    "/{plan_id}",
    response_model=StoredPlan,
    summary="Change a plan's status",
    responses={
        200: {**_STORED_PLAN, "headers": _ETAG},
        **problem_responses(400, *_KEYED, 404, 409, 412, 413, 428),
    },
    openapi_extra=needs(Scope.plans_write, **status_body.openapi()),
)
def change_plan_status(
    record: OwnedPlan,
    session: SessionDep,
    body: Annotated[bytes, Depends(status_body)],
    if_match_header: IfMatchHeader,
    _: NoQuery,
) -> Response:
    """`active` ⇄ `paused`; either may become `stopped` or `completed`, which are final (409).
    Needs `If-Match`: 428 without it, 412 if the plan changed since."""
    updated = service.change_plan_status(
        session, record, status_body.parse(body).status, if_match(if_match_header, required=True)
    )
    return _private_json(service.stored_plan_json(updated), etag=version_etag(updated.version))
