from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.catalogue.content import Content
from app.catalogue.schemas import Category

PROBLEM_JSON = "application/problem+json"


def all_pages(client: TestClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):  # bounded: the catalogue is far smaller
        response = client.get(
            "/v1/exercises", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def slugs(items: list[dict[str, Any]]) -> list[str]:
    return [item["slug"] for item in items]


class TestListExercises:
    def test_first_page_is_in_guide_order_with_default_limit(
        self, client: TestClient, content: Content
    ) -> None:
        response = client.get("/v1/exercises")

        assert response.status_code == 200
        page = response.json()
        expected = [exercise.slug for exercise in content.exercises]
        assert slugs(page["items"]) == expected[:20]
        assert (page["next_cursor"] is None) == (len(expected) <= 20)

    def test_items_are_the_published_exercises(self, client: TestClient, content: Content) -> None:
        items = all_pages(client, {"limit": 100})

        assert items == [exercise.model_dump(mode="json") for exercise in content.exercises]

    @pytest.mark.parametrize("limit", [1, 3, 7, 100])
    def test_cursor_walk_returns_every_exercise_once_in_order(
        self, client: TestClient, content: Content, limit: int
    ) -> None:
        walked = slugs(all_pages(client, {"limit": limit}))

        assert walked == [exercise.slug for exercise in content.exercises]

    def test_cursor_keeps_filters_consistent(self, client: TestClient, content: Content) -> None:
        walked = slugs(all_pages(client, {"category": "strength", "limit": 2}))

        assert walked == [e.slug for e in content.exercises if e.category == Category.strength]

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            (
                {"category": "strength"},
                {
                    "glute-bridge",
                    "glute-bridge-march",
                    "clamshell",
                    "hip-hinge-deadlift",
                    "pallof-press",
                },
            ),
            ({"category": "cardio"}, {"walking", "cycling"}),
            ({"target": "hip_abductors"}, {"clamshell"}),
            ({"equipment": "resistance_band"}, {"pallof-press"}),
            ({"equipment": "household_object"}, {"hip-hinge-deadlift"}),
            ({"position": "side_lying"}, {"clamshell"}),
            ({"q": "bridge"}, {"glute-bridge", "glute-bridge-march"}),
            ({"q": "BRIDGE chest"}, {"glute-bridge-march"}),
            ({"q": "child's pose"}, {"childs-pose-variation", "evening-childs-pose-stretch"}),
            ({"category": "cardio", "equipment": "none"}, {"walking"}),
        ],
    )
    def test_filters_select_exactly_the_matching_exercises(
        self, client: TestClient, params: dict[str, str], expected: set[str]
    ) -> None:
        response = client.get("/v1/exercises", params={**params, "limit": 100})

        assert response.status_code == 200
        assert set(slugs(response.json()["items"])) == expected

    def test_equipment_none_excludes_everything_that_needs_equipment(
        self, client: TestClient, content: Content
    ) -> None:
        response = client.get("/v1/exercises", params={"equipment": "none", "limit": 100})

        expected = [e.slug for e in content.exercises if not e.equipment]
        assert slugs(response.json()["items"]) == expected
        assert "pallof-press" not in expected

    def test_max_minutes_keeps_exercises_that_fit(
        self, client: TestClient, content: Content
    ) -> None:
        response = client.get("/v1/exercises", params={"max_minutes": 1, "limit": 100})

        items = response.json()["items"]
        assert items, "micro-breaks take under a minute"
        assert all(item["dose"]["duration_minutes"]["minimum"] <= 1 for item in items)
        assert {"hip-circles", "body-weight-squat"} <= set(slugs(items))
        assert "walking" not in slugs(items)

    def test_no_match_is_an_empty_page(self, client: TestClient) -> None:
        response = client.get("/v1/exercises", params={"q": "trampoline"})

        assert response.json() == {"items": [], "next_cursor": None}


class TestListExercisesBadInput:
    def test_unknown_filter_value_names_the_allowed_values(self, client: TestClient) -> None:
        response = client.get("/v1/exercises", params={"category": "yoga"})

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM_JSON
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert problem["errors"][0]["loc"] == ["query", "category"]
        for allowed in (
            "mobility",
            "strength",
            "micro_break",
            "cardio",
            "flexibility",
            "breathing",
        ):
            assert allowed in problem["errors"][0]["msg"]

    def test_unknown_query_parameter_is_rejected(self, client: TestClient) -> None:
        response = client.get("/v1/exercises", params={"categroy": "strength"})

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "loc": ["query", "categroy"],
                "msg": "Extra inputs are not permitted",
                "type": "extra_forbidden",
            }
        ]

    @pytest.mark.parametrize(
        "params",
        [
            {"limit": 0},
            {"limit": 101},
            {"limit": "ten"},
            {"max_minutes": 0},
            {"max_minutes": 10_000},
            {"q": "x" * 101},
            {"q": " "},
        ],
    )
    def test_out_of_bounds_values_are_rejected(
        self, client: TestClient, params: dict[str, Any]
    ) -> None:
        response = client.get("/v1/exercises", params=params)

        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]

    @pytest.mark.parametrize(
        "cursor",
        [
            "not-a-cursor",
            "eyJ4IjoxfQ",
            "!!!!",
            "e30",
            # {"o":4,"s":"deep-squat-hold"}: issued before the fields had names.
            "eyJvIjo0LCJzIjoiZGVlcC1zcXVhdC1ob2xkIn0",
        ],
    )
    def test_malformed_cursor_is_a_422_not_a_crash(self, client: TestClient, cursor: str) -> None:
        response = client.get("/v1/exercises", params={"cursor": cursor})

        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "invalid_cursor"
        assert problem["errors"][0]["loc"] == ["query", "cursor"]
        assert problem["request_id"] == response.headers["x-request-id"]

    def test_input_is_never_echoed_in_errors(self, client: TestClient) -> None:
        response = client.get("/v1/exercises", params={"difficulty": "secret-value-123"})

        assert "secret-value-123" not in response.text


class TestGetExercise:
    def test_returns_the_exercise(self, client: TestClient, content: Content) -> None:
        response = client.get("/v1/exercises/clamshell")

        assert response.status_code == 200
        expected = next(e for e in content.exercises if e.slug == "clamshell")
        assert response.json() == expected.model_dump(mode="json")

    def test_counts_are_json_integers(self, client: TestClient) -> None:
        body = client.get("/v1/exercises/clamshell").text

        assert '"sets":{"minimum":2,"maximum":2},"reps":{"minimum":12,"maximum":12}' in body
        assert '"times_per_week":{"minimum":3,"maximum":3}' in body

    def test_unknown_slug_is_404_problem(self, client: TestClient) -> None:
        response = client.get("/v1/exercises/hip-twirl")

        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM_JSON
        problem = response.json()
        assert problem["code"] == "not_found"
        assert problem["detail"] == "No exercise with slug 'hip-twirl'."
        assert problem["instance"] == "/v1/exercises/hip-twirl"

    def test_malformed_slug_is_422(self, client: TestClient) -> None:
        response = client.get("/v1/exercises/Not_A_Slug")

        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["path", "slug"]


class TestCatalogue:
    def test_whole_dataset_in_one_response(self, client: TestClient, content: Content) -> None:
        response = client.get("/v1/catalogue")

        assert response.status_code == 200
        body = response.json()
        assert body["dataset_version"] == content.version
        assert body["exercises"] == [e.model_dump(mode="json") for e in content.exercises]
        assert body["guidance"] == content.guidance.model_dump(mode="json")


GUIDANCE_ROUTES: dict[str, Callable[[Content], dict[str, Any]]] = {
    "/v1/guidance": lambda c: {"guidance": c.guidance.model_dump(mode="json")},
    "/v1/guidance/self-assessments": lambda c: {
        "items": [i.model_dump(mode="json") for i in c.guidance.self_assessments]
    },
    "/v1/guidance/habits": lambda c: {
        "items": [i.model_dump(mode="json") for i in c.guidance.habits]
    },
    "/v1/guidance/faq": lambda c: {"items": [i.model_dump(mode="json") for i in c.guidance.faq]},
    "/v1/guidance/safety": lambda c: {
        "rules": [i.model_dump(mode="json") for i in c.guidance.safety_rules],
        "red_flags": [i.model_dump(mode="json") for i in c.guidance.red_flags],
    },
    "/v1/guidance/plan-template": lambda c: {
        "weeks": [i.model_dump(mode="json") for i in c.guidance.plan_template],
        "sessions": [i.model_dump(mode="json") for i in c.guidance.sessions],
        "progress_log_advice": c.guidance.progress_log_advice.model_dump(mode="json"),
    },
}


class TestGuidance:
    @pytest.mark.parametrize("path", list(GUIDANCE_ROUTES))
    def test_each_section_is_published(
        self, client: TestClient, content: Content, path: str
    ) -> None:
        response = client.get(path)

        assert response.status_code == 200
        assert response.json() == {
            "dataset_version": content.version,
            **GUIDANCE_ROUTES[path](content),
        }

    def test_unknown_section_is_404(self, client: TestClient) -> None:
        response = client.get("/v1/guidance/horoscope")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


CACHED_PATHS = [
    "/v1/exercises",
    "/v1/exercises?category=strength",
    "/v1/exercises/clamshell",
    "/v1/catalogue",
    *GUIDANCE_ROUTES,
]


class TestConditionalRequests:
    @pytest.mark.parametrize("path", CACHED_PATHS)
    def test_validators_and_cache_headers(
        self, client: TestClient, content: Content, path: str
    ) -> None:
        response = client.get(path)

        assert response.headers["etag"].startswith('"')
        assert response.headers["cache-control"] == "public, max-age=300"
        assert response.headers["x-dataset-version"] == content.version
        assert response.headers["content-type"] == "application/json"

    @pytest.mark.parametrize("path", CACHED_PATHS)
    def test_matching_if_none_match_gives_304_without_body(
        self, client: TestClient, path: str
    ) -> None:
        etag = client.get(path).headers["etag"]

        response = client.get(path, headers={"If-None-Match": etag})

        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert "x-dataset-version" in response.headers

    @pytest.mark.parametrize("header", ["W/{etag}", '"other", {etag}', "*"])
    def test_if_none_match_forms(self, client: TestClient, header: str) -> None:
        etag = client.get("/v1/catalogue").headers["etag"]

        response = client.get("/v1/catalogue", headers={"If-None-Match": header.format(etag=etag)})

        assert response.status_code == 304

    def test_stale_etag_gets_the_full_body(self, client: TestClient) -> None:
        response = client.get("/v1/catalogue", headers={"If-None-Match": '"stale"'})

        assert response.status_code == 200
        assert response.json()["exercises"]

    def test_etag_differs_between_representations(self, client: TestClient) -> None:
        first = client.get("/v1/exercises", params={"limit": 1}).headers["etag"]
        second = client.get("/v1/exercises", params={"limit": 2}).headers["etag"]

        assert first != second
