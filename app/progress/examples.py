"""OpenAPI examples for `POST /v1/plans/adapt`: a request from the plans' desk-worker example
with three weeks of logs, and the response the adaptation gives it (computed, never written by
hand). Then the same plan and logs as a clinic stores them, for the stored progress routes: the
scores, changes, diff and summary computed; ids and times made up."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.assessments import AssessmentAnswers, Assessments, RedFlagAnswers, red_flag_triage
from app.assessments.examples import EXAMPLE_TOKENS, NO_RED_FLAGS
from app.catalogue.examples import SNAPSHOT
from app.http.openapi_examples import shortened
from app.plans import Plan, Planner, PlanRequest
from app.plans import examples as plan_examples
from app.plans.examples import CALENDAR as CALENDAR
from app.progress.adapter import Adapter, scored_logs
from app.progress.diff import plan_diff
from app.progress.outcomes import Instrument
from app.progress.results import LogWritten
from app.progress.schemas import AdaptRequest, DatedLog
from app.progress.service import outcome_rules
from app.progress.stored import PlanRevisionPublic, StoredLog, StoredOutcome
from app.progress.summary import AssessmentFindings, DayLog, OutcomeScore, PlannedSession, summarise

_PLAN_REQUEST = plan_examples.REQUESTS["desk_worker_tight_right_hip"]["value"]
_START = date.fromisoformat(_PLAN_REQUEST["start_date"])
_planner = Planner.load()
_assessments = Assessments.load()
_plan: Plan = _planner.preview(
    PlanRequest.model_validate(_PLAN_REQUEST),
    catalogue=SNAPSHOT,
    assessments=_assessments,
    tokens=EXAMPLE_TOKENS,
)
_DAYS = {day.date: day for week in _plan.weeks for day in week.days}


def _log(offset: int, pain: int, **extra: Any) -> dict[str, Any]:
    day = _START + timedelta(days=offset)
    return {
        "date": day.isoformat(),
        "pain": pain,
        "hip_mobility": 6,
        "relief_movements": [],
        "sessions_done": [session.id for session in _DAYS[day].sessions],
        "sharp_pain": [],
        "red_flags": NO_RED_FLAGS,
        **extra,
    }


_LOGS = [
    *(_log(n, 4) for n in range(7)),
    *(_log(n, 4, relief_movements=["standing-thoracic-rotation"]) for n in range(7, 9)),
    _log(9, 7, pain_after_exercise=6, note="Stiff after a long drive."),
    _log(10, 5, sharp_pain=[{"slug": "clamshell", "side": "left"}]),
]
# A red flag refuses as the preview does: the same problem body.
REFUSAL = plan_examples.REFUSAL
LAST_LOG_DATE = _START + timedelta(days=10)

REQUESTS: dict[str, dict[str, Any]] = {
    "eleven_days_of_logs": {
        "summary": "The desk worker's plan with 11 days of logs: relief, a pain rise, sharp pain",
        "value": {"plan": _PLAN_REQUEST, "logs": _LOGS},
    }
}

_adapted = Adapter.load().adapt_request(
    AdaptRequest.model_validate(REQUESTS["eleven_days_of_logs"]["value"]),
    planner=_planner,
    catalogue=SNAPSHOT,
    assessments=_assessments,
    tokens=EXAMPLE_TOKENS,
    today=LAST_LOG_DATE,
)
_response = _adapted.model_dump(mode="json")
# The plan as in the preview's example (every list but the weeks and days cut to one item);
# the changes whole.
ADAPTED = {
    "plan": shortened(
        _response["plan"], whole=frozenset({"weeks", "days"}), kept=frozenset({"inputs"})
    ),
    "changes": [{**change, "dates": change["dates"][:1]} for change in _response["changes"]],
}


# --- the stored progress routes ------------------------------------------------------------------

_CREATED = datetime(2026, 12, 17, 20, 15, tzinfo=UTC)
# The patients' examples' ids (app.patients.examples; documentation ids, made up).
PATIENT_ID = uuid.UUID("3f0c5a52-8a5e-4c53-9d0e-2f1b7c6d8e90")
ASSESSMENT_ID = uuid.UUID("5d2b9c1e-6f4a-4e7b-8c3d-1a2b3c4d5e6f")
PLAN_ID = uuid.UUID("9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b")
_request = AdaptRequest.model_validate(REQUESTS["eleven_days_of_logs"]["value"])
_DATED = _request.logs
_RISE = next(log for log in _DATED if log.pain_after_exercise is not None)  # the pain rise


def _body(log: DatedLog) -> dict[str, Any]:
    return {k: v for k, v in log.model_dump(mode="json", exclude_unset=True).items() if k != "date"}


LOG_REQUESTS: dict[str, dict[str, Any]] = {
    "pain_rise": {
        "summary": "Pain up after a long drive; every session of the day done",
        "value": _body(_RISE),
    },
    "quiet_day": {
        "summary": "A quiet day: pain as usual, relief from one movement",
        "value": {
            "pain": 3,
            "hip_mobility": 7,
            "relief_movements": [],
            "sessions_done": [],
            "sharp_pain": [],
            "red_flags": NO_RED_FLAGS,
        },
    },
}


def _stored(log: DatedLog) -> dict[str, Any]:
    return StoredLog.model_validate(
        {
            **log.model_dump(mode="json", exclude_unset=True),
            "patient_id": PATIENT_ID,
            "triage": None,
            "created_at": _CREATED,
            "updated_at": _CREATED,
        }
    ).model_dump(mode="json")


STORED_LOG = _stored(_RISE)
STORED_LOG_PAGE = {"items": [STORED_LOG], "next_cursor": None}

_adapter = Adapter.load()


def _adapted_until(until: date) -> Any:
    logs = [log for log in _DATED if log.date <= until]
    return _adapter.adapt(_plan, scored_logs(logs, _assessments), catalogue=SNAPSHOT)


_before, _after = _adapted_until(_RISE.date - timedelta(days=1)), _adapted_until(_RISE.date)
_shown = _before.changes
_new = [change for change in _after.changes if change not in _shown]


def _cut(changes: Any) -> list[dict[str, Any]]:
    return [{**c.model_dump(mode="json"), "dates": [c.dates[0].isoformat()]} for c in changes]


LOG_WRITTEN = LogWritten.model_validate(
    {
        "log": STORED_LOG,
        "triage": None,
        "plans": [{"plan_id": PLAN_ID, "status": "active", "revision": 3, "changes": _cut(_new)}],
    }
).model_dump(mode="json")

_revisions = [
    PlanRevisionPublic.model_validate(
        {"number": 3, "created_at": _CREATED, "log_date": _RISE.date, "changes": _cut(_new)}
    ),
    PlanRevisionPublic.model_validate(
        {
            "number": 2,
            "created_at": _CREATED - timedelta(days=1),
            "log_date": _RISE.date - timedelta(days=1),
            "changes": _cut(_shown),
        }
    ),
    PlanRevisionPublic.model_validate(
        {"number": 1, "created_at": _CREATED - timedelta(days=10), "log_date": None, "changes": []}
    ),
]
REVISION_PAGE = {"items": [r.model_dump(mode="json") for r in _revisions], "next_cursor": None}
REVISION_DETAIL = {
    **_revisions[0].model_dump(mode="json"),
    "plan_id": str(PLAN_ID),
    "plan": shortened(
        _after.plan.model_dump(mode="json"),
        whole=frozenset({"weeks", "days"}),
        kept=frozenset({"inputs"}),
    ),
    "diff": [d.model_dump(mode="json") for d in plan_diff(_before.plan, _after.plan)[:2]],
}

# --- outcome measures --------------------------------------------------------------------------

_TAKEN_ON = _request.plan.start_date
OUTCOME_REQUESTS: dict[str, dict[str, Any]] = {
    "peg": {
        "summary": "PEG at baseline: pain, enjoyment of life, general activity",
        "value": {
            "instrument": "peg",
            "timepoint": "baseline",
            "taken_on": _TAKEN_ON.isoformat(),
            "items": {"pain_average": 6, "enjoyment_interference": 5, "activity_interference": 4},
        },
    },
    "psfs": {
        "summary": "PSFS at week 4: three activities the patient named",
        "value": {
            "instrument": "psfs",
            "timepoint": "week_4",
            "taken_on": (_TAKEN_ON + timedelta(days=21)).isoformat(),
            "activities": [
                {"activity": "Putting on socks", "score": 4},
                {"activity": "Walking 30 minutes", "score": 6},
                {"activity": "Sitting through a film", "score": 5},
            ],
        },
    },
}
_peg = outcome_rules()[Instrument.peg]
STORED_OUTCOME = StoredOutcome.model_validate(
    {
        "id": "6a1f2b3c-4d5e-4f60-8172-93a4b5c6d7e8",
        "patient_id": PATIENT_ID,
        "instrument": "peg",
        "timepoint": "baseline",
        "taken_on": _TAKEN_ON,
        "items": [
            {"name": name, "score": value}
            for name, value in OUTCOME_REQUESTS["peg"]["value"]["items"].items()
        ],
        "score": 5.0,
        "higher_is_better": _peg.higher_is_better,
        "source": _peg.source,
        "created_at": _CREATED,
    }
).model_dump(mode="json")
STORED_OUTCOME_PAGE = {"items": [STORED_OUTCOME], "next_cursor": None}

# --- the summary -------------------------------------------------------------------------------

_answers = AssessmentAnswers.model_validate(
    REQUESTS["eleven_days_of_logs"]["value"]["plan"]["assessment"]["answers"]
)
_FINDINGS = [finding.code for finding in _assessments.score(_answers, SNAPSHOT).findings]
_RETEST_ID = uuid.UUID("7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f")

PROGRESS = summarise(
    [
        DayLog(
            date=log.date,
            pain=log.pain,
            sessions_done=log.sessions_done,
            relief_movements=log.relief_movements,
            sharp_pain=[(sharp.slug, sharp.side) for sharp in log.sharp_pain],
            triage=red_flag_triage(log.red_flags, _assessments.ruleset),
        )
        for log in _DATED
    ]
    # The next day, a red flag: the plans stop, the summary lists it.
    + [
        DayLog(
            date=_DATED[-1].date + timedelta(days=1),
            pain=4,
            sessions_done=(),
            relief_movements=(),
            sharp_pain=(),
            triage=red_flag_triage(
                RedFlagAnswers.model_validate({**NO_RED_FLAGS, "fever_or_unwell": True}),
                _assessments.ruleset,
            ),
        )
    ],
    [
        PlannedSession(date=day.date, week=week.week, kind=session.kind, id=session.id)
        for week in _after.plan.weeks
        for day in week.days
        for session in day.sessions
    ],
    [OutcomeScore("peg", "baseline", _TAKEN_ON, 5.0, _peg.higher_is_better)],
    plan_start=_request.plan.start_date,
    today=_DATED[-1].date + timedelta(days=2),
    assessments=[
        AssessmentFindings(ASSESSMENT_ID, _TAKEN_ON - timedelta(days=1), _FINDINGS),
        # The week 4 re-test: the first finding resolved, the others persisting.
        AssessmentFindings(_RETEST_ID, _TAKEN_ON + timedelta(days=21), _FINDINGS[1:]),
    ],
).model_dump(mode="json")

PATIENT_EXPORT = {
    "exported_at": "2026-12-19T08:00:00Z",
    "patient": {
        "id": str(PATIENT_ID),
        "external_reference": "clinic-7/patient-0042",
        "attributes": {"age_band": "40-49", "occupation": "desk"},
        "created_at": "2026-11-23T09:30:00Z",
        "updated_at": "2026-11-23T09:30:00Z",
    },
    "assessments": [],
    "plans": [],
    "plan_revisions": [],
    "logs": [STORED_LOG],
    "outcomes": [STORED_OUTCOME],
}
