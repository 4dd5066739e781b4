"""Every table model, imported in one place: Alembic's single registry."""

from app.catalogue.models import Dataset, Exercise, GuidanceItem
from app.idempotency.models import IdempotencyRecord
from app.patients.models import Patient, PatientAssessment, PatientPlan
from app.tenants.models import ApiKey, Organisation

__all__ = [
    "ApiKey",
    "Dataset",
    "Exercise",
    "GuidanceItem",
    "IdempotencyRecord",
    "Organisation",
    "Patient",
    "PatientAssessment",
    "PatientPlan",
]
