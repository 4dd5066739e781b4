"""Patients of an organisation, their stored assessments and plans, and their export and
erasure. app.progress builds on what is exported below; the entry points wire its routers and
tables."""

# What app.progress builds on: a patient's stored plans, their paging and stopping, and the
# export it extends with the progress records.
from app.patients.dependencies import OwnedPatient, OwnedPlan
from app.patients.models import Patient, PatientPlan
from app.patients.schemas import PatientExport, PlanStatus
from app.patients.service import (
    MAX_DAYS_IN_THE_PAST,
    all_assessments,
    all_plans,
    compare_and_set,
    export_patient,
    keyset_page,
    lock_patient,
    plan_stop,
    record_log_red_flag,
    records_of,
)

__all__ = [
    "MAX_DAYS_IN_THE_PAST",
    "OwnedPatient",
    "OwnedPlan",
    "Patient",
    "PatientExport",
    "PatientPlan",
    "PlanStatus",
    "all_assessments",
    "all_plans",
    "compare_and_set",
    "export_patient",
    "keyset_page",
    "lock_patient",
    "plan_stop",
    "record_log_red_flag",
    "records_of",
]
