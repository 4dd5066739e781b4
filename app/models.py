"""Every table model, imported in one place: Alembic's single registry."""

from app.catalogue.models import Dataset, Exercise, GuidanceItem
from app.idempotency.models import IdempotencyRecord
from app.patients.models import Patient, PatientAssessment, PatientPlan
from app.progress.models import OutcomeMeasure, PlanRevision, ProgressLog
from app.tenants.models import ApiKey, Organisation

__all__ = [
    "ApiKey",
    "Dataset",
    "Exercise",
    "GuidanceItem",
    "IdempotencyRecord",
    "Organisation",
    "OutcomeMeasure",
    "Patient",
    "PatientAssessment",
    "PatientPlan",
    "PlanRevision",
    "ProgressLog",
]
