import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import inspect, text
from sqlmodel import Session

from app.assessments.service import Assessments
from app.catalogue.content import Content
from app.plans import examples, generator
from app.plans.schemas import PlanRequest

PREVIEW = "/v1/plans/preview"
PREVIEW_CALENDAR = "/v1/plans/preview/calendar"
PROBLEM_JSON = "application/problem+json"
CALENDAR = "text/calendar"
MISSING = object()

DESK_WORKER = examples.REQUESTS["desk_worker_tight_right_hip"]["value"]
FIFTEEN_MINUTES = examples.REQUESTS["no_equipment_15_minutes"]["value"]
RED_FLAG = examples.REQUESTS["red_flag_refusal"]["value"]


def changed(body: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    """A deep copy of ``body`` with the value at ``path`` replaced (or removed: ``MISSING``)."""
    result = copy.deepcopy(body)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    if value is MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return result


def row_counts(session: Session) -> dict[str, int]:
    connection = session.connection()
    return {
        name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        for name in inspect(connection).get_table_names()
    }


def assert_problem(
    response: Any, status: int, code: str, instance: str = PREVIEW
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body["instance"]) == (status, code, instance)
    return body


class TestPreviewExamples:
    @pytest.mark.parametrize("name", ["desk_worker_tight_right_hip", "no_equipment_15_minutes"])
    def test_example_gives_an_eight_week_plan_that_echoes_the_inputs(
        self, client: TestClient, content: Content, name: str
    ) -> None:
        value = examples.REQUESTS[name]["value"]
        request = PlanRequest.model_validate(value)

        response = client.post(PREVIEW, json=value)

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        plan = response.json()
        assert len(plan["weeks"]) == 8
        assert all(len(week["days"]) == 7 for week in plan["weeks"])
        assert plan["weeks"][0]["days"][0]["date"] == value["start_date"]
        assert plan["inputs"] == request.model_dump(mode="json")
        echoed = ["pain_now", "equipment", "minutes_per_day", "training_days", "start_date"]
        assert {key: plan["inputs"][key] for key in [*echoed, "time_zone"]} == {
            key: value[key] for key in [*echoed, "time_zone"]
        }
        assert plan["inputs"]["assessment"]["kind"] == value["assessment"]["kind"]
        assert plan["dataset_version"] == content.version
        assert plan["ruleset_version"] == Assessments.load().version
        assert plan["generator_version"] == generator.settings_version(generator.load_settings())
        assert plan["input_hash"] == generator.input_hash(request)

    def test_desk_worker_plan_is_personalised_from_the_scored_answers(
        self, client: TestClient
    ) -> None:
        response = client.post(PREVIEW, json=DESK_WORKER)

        plan = response.json()
        assert plan["triage"] == "self_care"
        assert plan["findings"] == [
            "hip_extension.restricted.right",
            "rotation.tighter_right",
            "bridge.lumbar_before_glutes",
        ]
        morning = plan["weeks"][0]["days"][0]["sessions"][0]
        assert morning["kind"] == "morning_mobility"
        lunge = next(i for i in morning["items"] if i["slug"] == "hip-flexor-lunge-stretch")
        assert lunge["extra_volume_side"] == "right"
        assert all(day["minutes"] <= 30 for week in plan["weeks"] for day in week["days"])

    def test_fifteen_minutes_without_equipment_has_no_band_exercise(
        self, client: TestClient
    ) -> None:
        response = client.post(PREVIEW, json=FIFTEEN_MINUTES)

        plan = response.json()
        slugs = {
            item["slug"]
            for week in plan["weeks"]
            for day in week["days"]
            for session in day["sessions"]
            for item in session["items"]
        }
        assert "pallof-press" not in slugs
        assert all(day["minutes"] <= 15 for week in plan["weeks"] for day in week["days"])
        assert plan["findings"] == ["bridge.lumbar_before_glutes"]

    def test_red_flag_is_refused_with_the_triage(self, client: TestClient) -> None:
        response = client.post(PREVIEW, json=RED_FLAG)

        problem = assert_problem(response, 409, "conflict")
        assert problem["triage"]["level"] == "seek_care_now"
        assert "medical care" in problem["triage"]["advice"]
        assert [r["finding"] for r in problem["triage"]["reasons"]] == [
            "red_flag.bladder_or_bowel_changes"
        ]
        assert "seek medical care" in problem["detail"]
        assert "weeks" not in problem

    def test_red_flag_from_a_result_is_refused(self, client: TestClient) -> None:
        body = changed(
            FIFTEEN_MINUTES,
            ("assessment",),
            {"kind": "result", "triage": "seek_care_now", "findings": []},
        )

        response = client.post(PREVIEW, json=body)

        problem = assert_problem(response, 409, "conflict")
        assert problem["triage"]["level"] == "seek_care_now"
        assert "medical care" in problem["triage"]["advice"]

    def test_a_red_flags_code_among_the_findings_is_refused_whatever_the_triage(
        self, client: TestClient
    ) -> None:
        """Red-flag codes (a result's triage reasons) are FindingCodes too: given as findings,
        they mean a red flag, never a plan."""
        body = changed(
            FIFTEEN_MINUTES,
            ("assessment",),
            {
                "kind": "result",
                "triage": "self_care",
                "findings": ["bridge.lumbar_before_glutes", "red_flag.numbness"],
            },
        )

        response = client.post(PREVIEW, json=body)

        problem = assert_problem(response, 409, "conflict")
        assert problem["triage"]["level"] == "seek_care_now"


class TestPreviewIsStateless:
    @pytest.mark.parametrize("name", ["desk_worker_tight_right_hip", "no_equipment_15_minutes"])
    def test_same_request_twice_gives_byte_identical_bodies(
        self, client: TestClient, name: str
    ) -> None:
        value = examples.REQUESTS[name]["value"]

        first = client.post(PREVIEW, json=value)
        second = client.post(PREVIEW, json=value)

        assert first.status_code == second.status_code == 200
        assert first.content == second.content

    def test_key_order_does_not_change_the_plan(self, client: TestClient) -> None:
        reordered = dict(reversed(list(FIFTEEN_MINUTES.items())))

        first = client.post(PREVIEW, json=FIFTEEN_MINUTES)
        second = client.post(PREVIEW, json=reordered)

        assert first.content == second.content

    def test_nothing_is_stored(self, client: TestClient, session: Session) -> None:
        before = row_counts(session)

        for value in (DESK_WORKER, FIFTEEN_MINUTES, RED_FLAG):
            client.post(PREVIEW, json=value)
        client.post(PREVIEW_CALENDAR, json=FIFTEEN_MINUTES)

        assert row_counts(session) == before


class TestPreviewCalendar:
    def test_calendar_is_parseable_icalendar(self, client: TestClient) -> None:
        response = client.post(PREVIEW_CALENDAR, json=DESK_WORKER)

        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == f"{CALENDAR}; charset=utf-8"
        calendar = Calendar.from_ical(response.content)
        assert calendar.name == "VCALENDAR"
        assert calendar.walk("VEVENT")

    def test_calendar_twice_is_byte_identical(self, client: TestClient) -> None:
        first = client.post(PREVIEW_CALENDAR, json=FIFTEEN_MINUTES)
        second = client.post(PREVIEW_CALENDAR, json=FIFTEEN_MINUTES)

        assert first.content == second.content

    def test_the_calendar_holds_every_session_of_the_json_plan(self, client: TestClient) -> None:
        plan = client.post(PREVIEW, json=FIFTEEN_MINUTES).json()
        calendar = Calendar.from_ical(client.post(PREVIEW_CALENDAR, json=FIFTEEN_MINUTES).content)

        sessions = sum(len(day["sessions"]) for week in plan["weeks"] for day in week["days"])
        assert len(calendar.walk("VEVENT")) == sessions

    @pytest.mark.parametrize("accept", [CALENDAR, f"{CALENDAR};q=0", "*/*"])
    def test_the_json_preview_answers_json_whatever_the_accept_header(
        self, client: TestClient, accept: str
    ) -> None:
        response = client.post(PREVIEW, json=FIFTEEN_MINUTES, headers={"Accept": accept})

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert len(response.json()["weeks"]) == 8

    @pytest.mark.parametrize("format_", ["ics", "json"])
    def test_the_format_parameter_is_gone(self, client: TestClient, format_: str) -> None:
        response = client.post(PREVIEW, json=FIFTEEN_MINUTES, params={"format": format_})

        problem = assert_problem(response, 422, "validation_error")
        assert problem["errors"] == [
            {
                "loc": ["query", "format"],
                "msg": "Extra inputs are not permitted",
                "type": "extra_forbidden",
            }
        ]

    def test_red_flag_is_refused_as_a_calendar_too(self, client: TestClient) -> None:
        response = client.post(PREVIEW_CALENDAR, json=RED_FLAG)

        problem = assert_problem(response, 409, "conflict", PREVIEW_CALENDAR)
        assert problem["triage"]["level"] == "seek_care_now"


class TestPreviewValidation:
    @pytest.mark.parametrize(
        ("path", "value", "loc"),
        [
            (("equipment",), ["kettlebell"], ["body", "equipment", 0]),
            (("training_days",), ["funday"], ["body", "training_days", 0]),
            (("time_zone",), "Mars/Olympus", ["body", "time_zone"]),
            (("start_date",), "next tuesday", ["body", "start_date"]),
            (("minutes_per_day",), 4, ["body", "minutes_per_day"]),
            (("minutes_per_day",), 241, ["body", "minutes_per_day"]),
            (("training_days",), [], ["body", "training_days"]),
            (("training_days",), ["monday", "monday"], ["body", "training_days"]),
            (
                ("assessment", "findings"),
                ["hip_extension.wobbly"],
                ["body", "assessment", "result", "findings", 0],
            ),
            (("assessment",), MISSING, ["body", "assessment"]),
            (("colour",), "blue", ["body", "colour"]),
            (("assessment", "kind"), "other", ["body", "assessment"]),
        ],
        ids=[
            "unknown-equipment",
            "unknown-weekday",
            "invalid-time-zone",
            "unparseable-start-date",
            "minutes-below-5",
            "minutes-above-240",
            "no-training-days",
            "duplicate-training-days",
            "unknown-finding-code",
            "missing-assessment",
            "unknown-field",
            "unknown-assessment-kind",
        ],
    )
    def test_invalid_request_is_422_naming_the_field(
        self, client: TestClient, path: tuple[str, ...], value: object, loc: list[str | int]
    ) -> None:
        response = client.post(PREVIEW, json=changed(FIFTEEN_MINUTES, path, value))

        problem = assert_problem(response, 422, "validation_error")
        assert [error["loc"] for error in problem["errors"]] == [loc]

    def test_too_few_minutes_for_the_essentials_gives_the_minimum(self, client: TestClient) -> None:
        response = client.post(PREVIEW, json=changed(FIFTEEN_MINUTES, ("minutes_per_day",), 8))

        problem = assert_problem(response, 422, "validation_error")
        assert problem["minimum_minutes_per_day"] == 10
        assert problem["errors"] == [
            {
                "loc": ["body", "minutes_per_day"],
                "msg": "Needs at least 10 minutes a day",
                "type": "too_short",
            }
        ]

    @pytest.mark.parametrize("name", ["Mars/Olympus", "europe/london", "GMT+1", ""])
    def test_an_unknown_time_zone_says_where_to_find_valid_names(
        self, client: TestClient, name: str
    ) -> None:
        response = client.post(PREVIEW, json=changed(FIFTEEN_MINUTES, ("time_zone",), name))

        problem = assert_problem(response, 422, "validation_error")
        (error,) = problem["errors"]
        assert error["loc"] == ["body", "time_zone"]
        if name:
            assert error["type"] == "unknown_time_zone"
            assert "IANA name such as 'Europe/London'" in error["msg"]
            assert "List_of_tz_database_time_zones" in error["msg"]

    def test_every_iana_name_is_a_time_zone(self, client: TestClient) -> None:
        for name in ("America/Argentina/ComodRivadavia", "Etc/GMT+1", "UTC", "Asia/Kolkata"):
            response = client.post(PREVIEW, json=changed(FIFTEEN_MINUTES, ("time_zone",), name))
            assert response.status_code == 200, name

    def test_unknown_query_parameter_is_422(self, client: TestClient) -> None:
        response = client.post(PREVIEW, json=FIFTEEN_MINUTES, params={"fmt": "ics"})

        problem = assert_problem(response, 422, "validation_error")
        assert [error["loc"] for error in problem["errors"]] == [["query", "fmt"]]
