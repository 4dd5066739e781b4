"""Path ids resolved to rows once, after the key's scope is checked: 401, then 403, then 404."""

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path

from app.http.dependencies import SessionDep
from app.patients import service
from app.patients.models import Patient, PatientAssessment, PatientPlan
from app.tenants import REQUIREMENTS, Principal, Scope

PatientId = Annotated[uuid.UUID, Path(description="The patient's id (a random UUID).")]
AssessmentId = Annotated[uuid.UUID, Path(description="The stored assessment's id.")]
PlanId = Annotated[uuid.UUID, Path(description="The stored plan's id.")]


def patient_with(scope: Scope) -> Callable[..., Patient]:
    """A dependency giving the caller's own patient named in the path, for a key with ``scope``;
    another organisation's patient is a 404, exactly like a missing one."""

    def patient(
        patient_id: PatientId,
        principal: Annotated[Principal, Depends(REQUIREMENTS[scope])],
        session: SessionDep,
    ) -> Patient:
        return service.get_patient(session, principal.organisation_id, patient_id)

    return patient


ReadablePatient = Annotated[Patient, Depends(patient_with(Scope.patients_read))]
WritablePatient = Annotated[Patient, Depends(patient_with(Scope.patients_write))]
AssessablePatient = Annotated[Patient, Depends(patient_with(Scope.assessments_write))]
PlannablePatient = Annotated[Patient, Depends(patient_with(Scope.plans_write))]
ExportablePatient = Annotated[Patient, Depends(patient_with(Scope.patients_export))]
LoggablePatient = Annotated[Patient, Depends(patient_with(Scope.logs_write))]


def _assessment(
    assessment_id: AssessmentId, patient: ReadablePatient, session: SessionDep
) -> PatientAssessment:
    return service.get_assessment(session, patient, assessment_id)


def _readable_plan(plan_id: PlanId, patient: ReadablePatient, session: SessionDep) -> PatientPlan:
    return service.get_plan(session, patient, plan_id)


def _changeable_plan(
    plan_id: PlanId, patient: PlannablePatient, session: SessionDep
) -> PatientPlan:
    return service.get_plan(session, patient, plan_id)


ReadableAssessment = Annotated[PatientAssessment, Depends(_assessment)]
ReadablePlan = Annotated[PatientPlan, Depends(_readable_plan)]
ChangeablePlan = Annotated[PatientPlan, Depends(_changeable_plan)]
