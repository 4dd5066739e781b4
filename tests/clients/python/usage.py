"""What an app maker writes with the Python client generated from openapi/openapi.json.

Type-checked with ``mypy --strict`` against a freshly generated client by
``tests/clients/test_generated_clients.py``; never run (it needs a server).
"""

import datetime
import uuid

from hip_spine_api_client import AuthenticatedClient, Client
from hip_spine_api_client.api.assessments import score_assessment
from hip_spine_api_client.api.catalogue import get_catalogue, list_exercises
from hip_spine_api_client.api.patients import create_patient, update_patient
from hip_spine_api_client.api.plans import preview_plan, preview_plan_calendar
from hip_spine_api_client.models import (
    AssessmentAnswers,
    AssessmentResult,
    BridgeAnswer,
    BridgeResult,
    Category,
    Equipment,
    ExercisePage,
    FindingCode,
    FromAnswers,
    HipExtensionAnswer,
    HipExtensionResult,
    Intake,
    PatientAttributes,
    PatientCreate,
    PatientPublic,
    PatientUpdate,
    Plan,
    PlanRefusal,
    PlanRequest,
    Problem,
    ProblemCode,
    RedFlagAnswers,
    Target,
    TestAnswers,
    Weekday,
)

API = "http://127.0.0.1:8000"


def glute_strength_doses(client: Client) -> list[str]:
    """Name and sets of the strength exercises for the glutes; counts are ints."""
    page = list_exercises.sync(client=client, category=Category.STRENGTH, target=Target.GLUTES)
    if not isinstance(page, ExercisePage):
        return []
    lines = []
    for exercise in page.items:
        sets = exercise.dose.sets
        count = "" if sets is None else f" {sets.minimum}-{sets.maximum} sets"
        lines.append(f"{exercise.name}{count}")
    return lines


def catalogue_if_changed(client: Client, etag: str) -> str | None:
    """The new ETag when the dataset changed since ``etag``, else None (304)."""
    response = get_catalogue.sync_detailed(client=client, if_none_match=etag)
    if response.status_code == 304:
        return None
    return response.headers.get("ETag")


def answers() -> AssessmentAnswers:
    return AssessmentAnswers(
        tests=TestAnswers(
            hip_extension=HipExtensionAnswer(
                left=HipExtensionResult.NORMAL, right=HipExtensionResult.RESTRICTED
            ),
            seated_rotation="skipped",
            bridge=BridgeAnswer(result=BridgeResult.LUMBAR_BEFORE_GLUTES),
        ),
        intake=Intake(pain_now=4, pain_weeks=3, sharp_or_shooting_pain=False),
        red_flags=RedFlagAnswers(
            numbness=False,
            weakness=False,
            bladder_or_bowel_changes=False,
            saddle_numbness=False,
            urinary_difficulty_or_incontinence=False,
            progressive_leg_weakness=False,
            both_legs_affected=False,
            serious_accident=False,
            fever_or_unwell=False,
            unexplained_weight_loss=False,
            history_of_cancer=False,
            constant_night_pain=False,
        ),
    )


def right_hip_is_restricted(client: Client) -> bool:
    result = score_assessment.sync(client=client, body=answers())
    if not isinstance(result, AssessmentResult):
        return False
    codes = {finding.code for finding in result.findings}
    return FindingCode.HIP_EXTENSION_RESTRICTED_RIGHT in codes


def first_week_minutes(client: Client) -> float | str:
    request = PlanRequest(
        assessment=FromAnswers(kind="answers", answers=answers()),
        pain_now=4,
        equipment=[Equipment.RESISTANCE_BAND],
        minutes_per_day=30,
        training_days=[Weekday.MONDAY, Weekday.WEDNESDAY, Weekday.FRIDAY],
        start_date=datetime.date(2026, 12, 7),
        time_zone="Europe/London",
    )
    plan = preview_plan.sync(client=client, body=request)
    if isinstance(plan, PlanRefusal):
        return plan.triage.advice
    if not isinstance(plan, Plan):
        return "no plan"
    calendar = preview_plan_calendar.sync(client=client, body=request)
    if not isinstance(calendar, str):
        return "no calendar"
    return plan.weeks[0].summary.minutes


def register(key: str, reference: str) -> PatientPublic | str:
    """Create a patient (safe to retry), then set one attribute without resending the rest."""
    with AuthenticatedClient(base_url=API, token=key) as client:
        created = create_patient.sync(
            client=client,
            body=PatientCreate(external_reference=reference),
            idempotency_key=str(uuid.uuid4()),
        )
        if isinstance(created, Problem):
            if created.code is ProblemCode.DUPLICATE_EXTERNAL_REFERENCE:
                return "already registered"
            return created.detail
        if created is None:
            return "no answer"
        updated = update_patient.sync(
            created.id,
            client=client,
            body=PatientUpdate(attributes=PatientAttributes(activity_level=None)),
            if_match='"v1"',
        )
        return updated if isinstance(updated, PatientPublic) else "not updated"
