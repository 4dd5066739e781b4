"""Path ids resolved to the caller's own rows, after its route has checked the key's scope
(``app.tenants.KeyedRoute``): 401, then 403, then 404."""

import uuid
from typing import Annotated

from fastapi import Depends, Path, Request

from app.http.dependencies import SessionDep
from app.patients import service
from app.patients.models import Patient, PatientAssessment, PatientPlan
from app.tenants import principal_of

PatientId = Annotated[uuid.UUID, Path(description="The patient's id (a random UUID).")]
AssessmentId = Annotated[uuid.UUID, Path(description="The stored assessment's id.")]
PlanId = Annotated[uuid.UUID, Path(description="The stored plan's id.")]


def _owned_patient(patient_id: PatientId, request: Request, session: SessionDep) -> Patient:
    """The caller's own patient named in the path; another organisation's patient is a 404,
    exactly like a missing one."""
    return service.get_patient(session, principal_of(request).organisation_id, patient_id)


OwnedPatient = Annotated[Patient, Depends(_owned_patient)]


def _owned_assessment(
    assessment_id: AssessmentId, patient: OwnedPatient, session: SessionDep
) -> PatientAssessment:
    return service.get_assessment(session, patient, assessment_id)


def _owned_plan(plan_id: PlanId, patient: OwnedPatient, session: SessionDep) -> PatientPlan:
    return service.get_plan(session, patient, plan_id)


OwnedAssessment = Annotated[PatientAssessment, Depends(_owned_assessment)]
OwnedPlan = Annotated[PatientPlan, Depends(_owned_plan)]
