"""`POST /v1/plans/adapt` over HTTP: the preview's plan adapted by the app's logs, stateless; a
red flag in a log is a 409 refusal with the triage; a log the plan cannot hold is a 422 naming
the field; nothing is ever stored."""

import copy
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assessments.examples import NO_RED_FLAGS
from app.plans import examples
from tests.plans.test_router import RED_FLAG, assert_problem, row_counts

ADAPT = "/v1/plans/adapt"
PREVIEW = "/v1/plans/preview"
ZONE = "Europe/London"


def today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


@pytest.fixture
def plan_request() -> dict[str, Any]:
    """The desk worker's plan, begun 20 days ago, so 21 days can be logged."""
    body: dict[str, Any] = copy.deepcopy(examples.REQUESTS["desk_worker_tight_right_hip"]["value"])
    body["start_date"] = (today() - timedelta(days=20)).isoformat()
    body["time_zone"] = ZONE
    return body


@pytest.fixture
def preview(client: TestClient, plan_request: dict[str, Any]) -> dict[str, Any]:
    response = client.post(PREVIEW, json=plan_request)
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan


def days(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [day for week in plan["weeks"] for day in week["days"]]


def log(plan: dict[str, Any], offset: int, pain: int = 4, **fields: Any) -> dict[str, Any]:
    day = days(plan)[offset]
    return {
        "date": day["date"],
        "pain": pain,
        "hip_mobility": 6,
        "relief_movements": [],
        "sessions_done": [session["id"] for session in day["sessions"]],
        "sharp_pain": [],
        "red_flags": NO_RED_FLAGS,
        **fields,
    }


def test_logs_adapt_the_days_after_them_and_nothing_is_stored(
    client: TestClient, session: Session, plan_request: dict[str, Any], preview: dict[str, Any]
) -> None:
    logs = [log(preview, n) for n in range(10)] + [log(preview, 10, 7)]
    stored = row_counts(session)

    response = client.post(ADAPT, json={"plan": plan_request, "logs": logs})

    assert response.status_code == 200, response.text
    body = response.json()
    [change] = body["changes"]
    assert (change["rule_id"], change["kind"]) == ("AD-2", "stepped_back")
    assert change["from_date"] == days(preview)[11]["date"]
    assert "Pain of 7 against a baseline of 4.0" in change["reason"]
    assert days(body["plan"])[:11] == days(preview)[:11]
    assert days(body["plan"])[11:] != days(preview)[11:]
    assert row_counts(session) == stored
    # The same request, the same bytes.
    again = client.post(ADAPT, json={"plan": plan_request, "logs": list(reversed(logs))})
    assert again.content == response.content


def test_without_logs_the_plan_is_the_previews(
    client: TestClient, plan_request: dict[str, Any], preview: dict[str, Any]
) -> None:
    response = client.post(ADAPT, json={"plan": plan_request, "logs": []})

    assert response.status_code == 200, response.text
    assert response.json() == {"plan": preview, "changes": []}


def test_a_red_flag_in_a_log_refuses_with_the_triage(
    client: TestClient, session: Session, plan_request: dict[str, Any], preview: dict[str, Any]
) -> None:
    flagged = log(preview, 5, red_flags={**NO_RED_FLAGS, "bladder_or_bowel_changes": True})
    # Even beside a log the plan cannot hold: a red flag comes first.
    future = {**log(preview, 6), "date": (today() + timedelta(days=1)).isoformat()}
    stored = row_counts(session)

    response = client.post(ADAPT, json={"plan": plan_request, "logs": [flagged, future]})

    problem = assert_problem(response, 409, "red_flag", instance=ADAPT)
    assert problem["triage"]["level"] == "urgent"
    assert problem["triage"]["reasons"][0]["finding"] == "red_flag.bladder_or_bowel_changes"
    assert "plan" not in problem
    assert row_counts(session) == stored


def test_a_red_flag_in_the_assessment_refuses_as_the_preview_does(
    client: TestClient,
) -> None:
    response = client.post(ADAPT, json={"plan": RED_FLAG, "logs": []})

    problem = assert_problem(response, 409, "red_flag", instance=ADAPT)
    assert problem["triage"]["level"] == "emergency"


@pytest.mark.parametrize(
    ("change", "loc", "kind"),
    [
        ({"date": "FUTURE"}, ["body", "logs", 1, "date"], "future_date"),
        ({"date": "BEFORE"}, ["body", "logs", 1, "date"], "outside_plan"),
        (
            {"sessions_done": ["2020-01-01.strength"]},
            ["body", "logs", 1, "sessions_done", 0],
            "unknown_session",
        ),
        (
            {"relief_movements": ["cycling"]},
            ["body", "logs", 1, "relief_movements", 0],
            "unknown_exercise",
        ),
        (
            {"sharp_pain": [{"slug": "ninety-ninety-hip-switch", "side": "left"}]},
            ["body", "logs", 1, "sharp_pain", 0, "side"],
            "not_per_side",
        ),
        ({"pain": 11}, ["body", "logs", 1, "pain"], "less_than_equal"),
        ({"pain": 4.5}, ["body", "logs", 1, "pain"], "int_from_float"),
        ({"note": "x" * 501}, ["body", "logs", 1, "note"], "string_too_long"),
        ({"triage": {"level": "self_care"}}, ["body", "logs", 1, "triage"], "extra_forbidden"),
    ],
)
def test_a_log_the_plan_cannot_hold_is_a_422_naming_the_field(
    client: TestClient,
    session: Session,
    plan_request: dict[str, Any],
    preview: dict[str, Any],
    change: dict[str, Any],
    loc: list[Any],
    kind: str,
) -> None:
    bad = {**log(preview, 3), **change}
    if bad["date"] in ("FUTURE", "BEFORE"):
        ahead = 1 if bad["date"] == "FUTURE" else -21
        bad.update(date=(today() + timedelta(days=ahead)).isoformat(), sessions_done=[])
    stored = row_counts(session)

    response = client.post(ADAPT, json={"plan": plan_request, "logs": [log(preview, 2), bad]})

    problem = assert_problem(response, 422, "validation_error", instance=ADAPT)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(loc, kind)]
    assert row_counts(session) == stored


def test_two_logs_of_one_date_are_a_422(
    client: TestClient, plan_request: dict[str, Any], preview: dict[str, Any]
) -> None:
    response = client.post(
        ADAPT, json={"plan": plan_request, "logs": [log(preview, 2), log(preview, 2, 5)]}
    )

    problem = assert_problem(response, 422, "validation_error", instance=ADAPT)
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "logs"], "duplicate_date")
    ]
