"""The assessment endpoints over HTTP: the definitions, stateless scoring, and bad input."""

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, table
from sqlmodel import Session

from app.assessments import examples
from app.assessments.service import Assessments, build_definitions
from app.assessments.tokens import ResultTokens
from app.catalogue.content import Content
from app.catalogue.snapshot import CatalogueSnapshot
from tests.conftest import TEST_KEY_SECRET

PROBLEM_JSON = "application/problem+json"
SCORE = "/v1/assessments/score"
RULESET = Assessments.load().ruleset


def example(level: str) -> dict[str, Any]:
    """A fresh copy of the OpenAPI example request for ``level``."""
    value: dict[str, Any] = copy.deepcopy(examples.REQUESTS[level]["value"])
    return value


def table_counts(session: Session) -> dict[str, int]:
    connection = session.connection()
    return {
        name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in inspect(session.get_bind()).get_table_names()
    }


class TestGetDefinitions:
    def test_three_tests_with_their_sides(self, client: TestClient) -> None:
        response = client.get("/v1/assessments")

        assert response.status_code == 200
        assert [(t["test"], t["guide_slug"], t["sides"]) for t in response.json()["tests"]] == [
            ("hip_extension", "hip-extension-test", ["left", "right"]),
            ("seated_rotation", "seated-rotation-test", ["right", "left"]),
            ("bridge", "bridge-test", []),
        ]

    def test_answer_options_with_their_points(self, client: TestClient) -> None:
        response = client.get("/v1/assessments")

        tests = response.json()["tests"]
        assert {t["test"]: [(a["value"], a["points"]) for a in t["answers"]] for t in tests} == {
            "hip_extension": [("normal", 15), ("restricted", 5), ("painful", 0)],
            "seated_rotation": [("normal", 15), ("tighter", 10), ("limited", 5), ("painful", 0)],
            "bridge": [
                ("glutes_first", 40),
                ("lumbar_before_glutes", 15),
                ("unable", 5),
                ("painful", 0),
            ],
        }
        assert [t["max_points"] for t in tests] == [15, 15, 40]
        assert all(answer["meaning"] for t in tests for answer in t["answers"])

    def test_intake_questions_each_with_a_source(self, client: TestClient) -> None:
        response = client.get("/v1/assessments")

        questions = response.json()["intake_questions"]
        assert [q["field"] for q in questions] == [
            "pain_now",
            "pain_weeks",
            "sharp_or_shooting_pain",
        ]
        assert all(q["question"] and q["answer"] and q["source"] for q in questions)

    def test_twelve_red_flag_questions_each_with_its_level_and_source(
        self, client: TestClient
    ) -> None:
        response = client.get("/v1/assessments")

        flags = response.json()["red_flags"]
        assert [(f["field"], f["rule_id"], f["level"]) for f in flags] == [
            ("numbness", "RF-1", "urgent"),
            ("weakness", "RF-2", "urgent"),
            ("bladder_or_bowel_changes", "RF-3", "urgent"),
            ("saddle_numbness", "RF-4", "emergency"),
            ("urinary_difficulty_or_incontinence", "RF-5", "emergency"),
            ("progressive_leg_weakness", "RF-6", "emergency"),
            ("both_legs_affected", "RF-7", "emergency"),
            ("serious_accident", "RF-8", "emergency"),
            ("fever_or_unwell", "RF-9", "urgent"),
            ("unexplained_weight_loss", "RF-10", "urgent"),
            ("history_of_cancer", "RF-11", "urgent"),
            ("constant_night_pain", "RF-12", "urgent"),
        ]
        assert [f["source"].startswith("Guide,") for f in flags] == [True] * 3 + [False] * 9
        assert all("NICE" in f["source"] or "NHS" in f["source"] for f in flags[3:])
        assert all(f["question"].endswith("?") for f in flags)

    def test_triage_rules_each_with_its_level_source_and_review(self, client: TestClient) -> None:
        response = client.get("/v1/assessments")

        rules = response.json()["triage_rules"]
        assert [(r["rule_id"], r["level"], r["review"] is not None) for r in rules] == [
            ("IN-1", "see_professional", False),
            ("IN-2", "see_professional", False),
            ("IN-3", "self_care", False),
            ("IN-4", "see_professional", True),
            ("IN-5", "see_professional", True),
        ]
        assert all(r["source"] for r in rules)

    def test_body_is_the_ruleset_and_catalogue_definitions(
        self, client: TestClient, content: Content
    ) -> None:
        assessments = Assessments.load()
        catalogue = CatalogueSnapshot(
            version=content.version, exercises=content.exercises, guidance=content.guidance
        )

        response = client.get("/v1/assessments")

        assert response.json() == build_definitions(
            assessments.ruleset, assessments.version, catalogue
        ).model_dump(mode="json")

    def test_versions_in_headers_match_the_body(self, client: TestClient, content: Content) -> None:
        response = client.get("/v1/assessments")

        body = response.json()
        assert response.headers["x-ruleset-version"] == body["ruleset_version"]
        assert body["ruleset_version"] == Assessments.load().version
        assert response.headers["x-dataset-version"] == body["dataset_version"] == content.version
        assert response.headers["content-type"] == "application/json"
        assert response.headers["etag"].startswith('"')

    def test_if_none_match_gives_304_without_body(self, client: TestClient) -> None:
        etag = client.get("/v1/assessments").headers["etag"]

        response = client.get("/v1/assessments", headers={"If-None-Match": etag})

        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["x-ruleset-version"] == Assessments.load().version

    def test_stale_etag_gets_the_full_body(self, client: TestClient) -> None:
        response = client.get("/v1/assessments", headers={"If-None-Match": '"stale"'})

        assert response.status_code == 200
        assert len(response.json()["tests"]) == 3

    def test_unknown_query_parameter_is_rejected(self, client: TestClient) -> None:
        response = client.get("/v1/assessments", params={"lang": "de"})

        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "lang"]


class TestScore:
    @pytest.mark.parametrize("level", list(examples.REQUESTS))
    def test_openapi_example_gets_its_example_response(
        self, client: TestClient, level: str
    ) -> None:
        response = client.post(SCORE, json=example(level))

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        expected = examples.RESPONSES[level]["value"]
        # The token is signed with the server's secret, the example's with the examples' one.
        assert {**body, "result_token": None} == {**expected, "result_token": None}
        assert body["triage"]["level"] == level

    def test_examples_cover_every_triage_level(self) -> None:
        assert set(examples.REQUESTS) == set(examples.RESPONSES)
        assert set(examples.REQUESTS) == {"self_care", "see_professional", "urgent", "emergency"}

    def test_self_care_example_in_detail(self, client: TestClient) -> None:
        response = client.post(SCORE, json=example("self_care"))

        body = response.json()
        assert [f["code"] for f in body["findings"]] == [
            "hip_extension.restricted.right",
            "rotation.tighter_right",
            "bridge.lumbar_before_glutes",
        ]
        assert body["tests"][1]["tighter_side"] == "right"
        assert body["score"]["value"] == 60
        assert body["not_scored"] == []
        assert body["recommendations"]

    def test_see_professional_example_skips_the_bridge(self, client: TestClient) -> None:
        response = client.post(SCORE, json=example("see_professional"))

        body = response.json()
        assert body["not_scored"] == ["bridge"]
        assert body["score"]["possible"] == 60
        assert [r["rule_id"] for r in body["triage"]["reasons"]] == ["IN-1"]

    def test_emergency_example_says_go_now_with_no_exercises_and_no_score(
        self, client: TestClient
    ) -> None:
        response = client.post(SCORE, json=example("emergency"))

        body = response.json()
        assert body["recommendations"] == []
        assert [r["rule_id"] for r in body["triage"]["reasons"]] == ["RF-4"]
        assert body["triage"]["advice"].startswith("Go to an emergency department now")
        assert body["score"]["status"] == "not_applicable"
        assert body["score"]["value"] is None

    def test_urgent_example_says_get_assessed_promptly(self, client: TestClient) -> None:
        response = client.post(SCORE, json=example("urgent"))

        body = response.json()
        assert body["triage"]["advice"].startswith("Get a medical assessment promptly")
        assert body["triage"]["reasons"][0]["text"] == (
            "You said you have a high temperature or feel generally unwell."
        )
        assert body["score"]["value"] is None

    def test_the_result_token_vouches_for_the_triage_findings_and_pain(
        self, client: TestClient
    ) -> None:
        body = client.post(SCORE, json=example("self_care")).json()

        claims = ResultTokens(TEST_KEY_SECRET.encode()).verify(
            body["result_token"],
            ruleset_version=body["ruleset_version"],
            dataset_version=body["dataset_version"],
        )

        assert claims.triage.model_dump(mode="json") == body["triage"]
        assert claims.findings == [f["code"] for f in body["findings"]]
        assert claims.pain_now == example("self_care")["intake"]["pain_now"]

    def test_tighter_both_ways_means_no_side_difference(self, client: TestClient) -> None:
        answers = example("self_care")
        answers["tests"]["seated_rotation"] = {"right": "tighter", "left": "tighter"}

        response = client.post(SCORE, json=answers)

        assert response.status_code == 200
        rotation = response.json()["tests"][1]
        assert (rotation["tighter_side"], rotation["affected_sides"]) == (None, ["left", "right"])

    def test_nothing_is_stored(self, client: TestClient, session: Session) -> None:
        before = table_counts(session)
        assert before, "the migrated database has tables"

        for level in examples.REQUESTS:
            assert client.post(SCORE, json=example(level)).status_code == 200

        assert table_counts(session) == before

    def test_same_answers_same_bytes(self, client: TestClient) -> None:
        first = client.post(SCORE, json=example("self_care"))
        second = client.post(SCORE, json=example("self_care"))

        assert first.content == second.content

    def test_integral_float_pain_is_accepted(self, client: TestClient) -> None:
        answers = example("self_care")
        answers["intake"]["pain_now"] = 4.0

        response = client.post(SCORE, json=answers)

        assert response.status_code == 200
        assert response.json() == client.post(SCORE, json=example("self_care")).json()


def _drop_bridge(a: dict[str, Any]) -> None:
    del a["tests"]["bridge"]


def _pain_now(value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(a: dict[str, Any]) -> None:
        a["intake"]["pain_now"] = value

    return mutate


def _unknown_test(a: dict[str, Any]) -> None:
    a["tests"]["toe_touch"] = "normal"


def _unknown_side(a: dict[str, Any]) -> None:
    a["tests"]["hip_extension"]["middle"] = "normal"


def _unknown_answer(a: dict[str, Any]) -> None:
    a["tests"]["seated_rotation"]["left"] = "wobbly"


def _unknown_top_level_field(a: dict[str, Any]) -> None:
    a["notes"] = "my back hurts"


def _missing_red_flag(a: dict[str, Any]) -> None:
    del a["red_flags"]["saddle_numbness"]


def _red_flag_as_one(a: dict[str, Any]) -> None:
    a["red_flags"]["weakness"] = 1


BAD_INPUT = [
    pytest.param(_drop_bridge, ["body", "tests", "bridge"], "missing", id="missing-test"),
    pytest.param(_pain_now(11), ["body", "intake", "pain_now"], None, id="pain-11"),
    pytest.param(_pain_now(-1), ["body", "intake", "pain_now"], None, id="pain-minus-1"),
    pytest.param(_pain_now("4"), ["body", "intake", "pain_now"], None, id="pain-string"),
    pytest.param(_pain_now(4.5), ["body", "intake", "pain_now"], None, id="pain-4.5"),
    pytest.param(_pain_now(True), ["body", "intake", "pain_now"], None, id="pain-true"),
    pytest.param(_pain_now(None), ["body", "intake", "pain_now"], None, id="pain-null"),
    pytest.param(_unknown_test, ["body", "tests", "toe_touch"], "extra_forbidden", id="test-key"),
    pytest.param(_unknown_side, ["body", "tests", "hip_extension"], "middle", id="side-key"),
    pytest.param(_unknown_answer, ["body", "tests", "seated_rotation"], "left", id="answer"),
    pytest.param(_unknown_top_level_field, ["body", "notes"], "extra_forbidden", id="top-field"),
    pytest.param(
        _missing_red_flag, ["body", "red_flags", "saddle_numbness"], "missing", id="red-flag-gone"
    ),
    pytest.param(_red_flag_as_one, ["body", "red_flags", "weakness"], None, id="red-flag-1"),
]


def names_field(errors: list[dict[str, Any]], prefix: list[str], last: str | None) -> bool:
    """Some error's loc starts with ``prefix`` and (when given) ends with, or is of type, last."""
    return any(
        error["loc"][: len(prefix)] == prefix
        and (last is None or error["loc"][-1] == last or error["type"] == last)
        for error in errors
    )


class TestScoreBadInput:
    @pytest.mark.parametrize(("mutate", "prefix", "last"), BAD_INPUT)
    def test_invalid_answers_are_422_naming_the_field(
        self,
        client: TestClient,
        mutate: Callable[[dict[str, Any]], None],
        prefix: list[str],
        last: str | None,
    ) -> None:
        answers = example("self_care")
        mutate(answers)

        response = client.post(SCORE, json=answers)

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM_JSON
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert problem["status"] == 422
        assert problem["instance"] == SCORE
        assert problem["request_id"] == response.headers["x-request-id"]
        assert names_field(problem["errors"], prefix, last), problem["errors"]

    def test_missing_test_names_exactly_that_test(self, client: TestClient) -> None:
        answers = example("self_care")
        del answers["tests"]["bridge"]

        response = client.post(SCORE, json=answers)

        assert response.json()["errors"] == [
            {"loc": ["body", "tests", "bridge"], "msg": "Field required", "type": "missing"}
        ]

    def test_skipped_is_the_only_string_a_test_takes(self, client: TestClient) -> None:
        answers = example("self_care")
        answers["tests"]["bridge"] = "skip"

        response = client.post(SCORE, json=answers)

        assert response.status_code == 422
        assert all(e["loc"][:3] == ["body", "tests", "bridge"] for e in response.json()["errors"])

    def test_wrong_side_for_the_bridge_is_rejected(self, client: TestClient) -> None:
        answers = example("self_care")
        answers["tests"]["bridge"] = {"left": "glutes_first", "right": "glutes_first"}

        response = client.post(SCORE, json=answers)

        assert response.status_code == 422

    @pytest.mark.parametrize(
        "body", [b"not json", b"{", b'{"tests": ', b"\xff\xfe"], ids=["text", "open", "cut", "bin"]
    )
    def test_non_json_body_is_a_problem(self, client: TestClient, body: bytes) -> None:
        response = client.post(SCORE, content=body, headers={"Content-Type": "application/json"})

        assert response.status_code in {400, 422}
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["status"] == response.status_code

    def test_empty_body_is_a_problem(self, client: TestClient) -> None:
        response = client.post(SCORE)

        assert response.status_code in {400, 422}
        assert response.headers["content-type"] == PROBLEM_JSON

    @pytest.mark.parametrize(
        "mutate",
        [
            _pain_now("SECRET-pain-4242"),
            lambda a: a["tests"]["seated_rotation"].update(left="SECRET-answer-4242"),
            lambda a: a["tests"].update(bridge="SECRET-bridge-4242"),
            lambda a: a["red_flags"].update(numbness="SECRET-flag-4242"),
            lambda a: a.update(notes="SECRET-notes-4242"),
            lambda a: a["intake"].update(pain_weeks=4242_4242),
        ],
        ids=["pain", "answer", "bridge", "red-flag", "extra-field", "weeks"],
    )
    def test_submitted_values_are_never_echoed(
        self, client: TestClient, mutate: Callable[[dict[str, Any]], None]
    ) -> None:
        answers = example("self_care")
        mutate(answers)

        response = client.post(SCORE, json=answers)

        assert response.status_code == 422
        assert "SECRET" not in response.text
        assert "4242" not in response.text

    def test_non_json_body_is_not_echoed(self, client: TestClient) -> None:
        response = client.post(
            SCORE, content=b"SECRET-4242 {", headers={"Content-Type": "application/json"}
        )

        assert "SECRET" not in response.text
        assert "4242" not in response.text
