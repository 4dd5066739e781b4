"""A patient's progress: daily logs, outcome measures, plan revisions and the summary. Every
route needs an API key; writing needs `logs:write`, reading `patients:read`."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi import Query as QueryParams
from pydantic import BaseModel

from app.http.body import JsonBody
from app.http.conditional import private_content
from app.http.dependencies import SessionDep
from app.http.problems import problem_responses
from app.http.query import NO_QUERY_PARAMETERS, PageQuery
from app.idempotency.http import IdempotencyKeyHeader, respond_idempotently
from app.idempotency.service import StoredResponse
from app.patients.dependencies import LoggablePatient, ReadablePatient
from app.progress import service
from app.progress.stored import OutcomeRequest, StoredOutcome, StoredOutcomePage
from app.tenants.security import WriteLogs

outcome_body = JsonBody(OutcomeRequest)

outcomes = APIRouter(prefix="/v1/patients/{patient_id}/outcomes", tags=["patient-progress"])
_NO_QUERY = [NO_QUERY_PARAMETERS]
_KEYED = (401, 403, 422)
_LOCATION: dict[str, Any] = {
    "Location": {"description": "The new resource.", "schema": {"type": "string"}}
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
    dependencies=_NO_QUERY,
    responses={
        201: {"headers": _LOCATION},
        **problem_responses(400, *_KEYED, 404, 413),
    },
    openapi_extra=outcome_body.openapi(),
)
def store_outcome(
    request: Request,
    patient: LoggablePatient,
    principal: WriteLogs,
    session: SessionDep,
    body: Annotated[bytes, Depends(outcome_body)],
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Free-to-use instruments only, at `baseline`, `week_4` or `week_8`: **PEG** (Krebs et al.
    2009, J Gen Intern Med 24:733; three 0-10 items, score = their mean, higher is worse) and
    **PSFS** (Stratford et al. 1995, Physiotherapy Canada 47:258; 3-5 activities the patient
    names, each 0-10, score = their mean, higher is better). Licensed instruments (Oswestry
    Disability Index, Roland-Morris Disability Questionnaire, PROMIS) are not served. Pain
    (NPRS) is in the daily logs. `taken_on` may not be in the future (the patient's plan's time
    zone, or UTC without a plan)."""

    def create() -> StoredResponse:
        record = service.store_outcome(
            session,
            patient,
            outcome_body.parse(body).root,
            today=service.patient_today(session, patient),
        )
        return StoredResponse(
            status_code=201,
            body=service.stored_outcome(record).model_dump_json().encode(),
            media_type="application/json",
            location=request.app.url_path_for(
                "get_outcome", patient_id=str(patient.id), outcome_id=str(record.id)
            ),
            patient_id=patient.id,
        )

    return respond_idempotently(
        request, session, principal, idempotency_key, body, create, patient_id=patient.id
    )


@outcomes.get(
    "",
    response_model=StoredOutcomePage,
    summary="List a patient's outcome measures",
    responses=problem_responses(*_KEYED, 404),
)
def list_outcomes(
    patient: ReadablePatient, session: SessionDep, query: Annotated[PageQuery, QueryParams()]
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
    dependencies=_NO_QUERY,
    responses=problem_responses(*_KEYED, 404),
)
def get_outcome(outcome_id: OutcomeId, patient: ReadablePatient, session: SessionDep) -> Response:
    return _private_json(service.stored_outcome(service.get_outcome(session, patient, outcome_id)))
