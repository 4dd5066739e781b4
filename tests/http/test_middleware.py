"""The request context on the assembled app: bounds on header fields (431), JSON bodies only
(415), HEAD, ``nosniff``, and a client that goes away mid-body."""

import json
import logging
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.types import Message

from app.assessments.examples import REQUESTS as SCORE_REQUESTS
from app.http.middleware import is_json
from app.main import create_app
from tests.conftest import app_settings
from tests.http.disconnect import post_then_disconnect

PROBLEM_JSON = "application/problem+json"
SCORE = "/v1/assessments/score"
SCORE_BODY = json.dumps(SCORE_REQUESTS["self_care"]["value"]).encode()


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["title"] == HTTPStatus(status).phrase
    assert problem["request_id"] == response.headers["x-request-id"]
    return problem


class TestHeaderBounds:
    def test_too_many_header_fields_is_431(self, client: TestClient) -> None:
        headers = [(f"x-filler-{n}".encode(), b"1") for n in range(100)]

        response = client.get("/v1/catalogue", headers=headers)

        problem = assert_problem(response, 431, "header_fields_too_large")
        assert problem["detail"] == "The request has more than 100 header fields."
        assert response.headers["connection"] == "close"

    def test_header_fields_too_large_is_431(self, client: TestClient) -> None:
        response = client.get("/v1/catalogue", headers={"X-Filler": "x" * 16_384})

        problem = assert_problem(response, 431, "header_fields_too_large")
        assert "16384 bytes" in problem["detail"]

    def test_header_fields_within_the_bounds_are_served(self, client: TestClient) -> None:
        headers = [(f"x-filler-{n}".encode(), b"x" * 100) for n in range(80)]

        assert client.get("/v1/catalogue", headers=headers).status_code == 200

    def test_the_bounds_are_settings(self, engine: Engine) -> None:
        app = create_app(
            app_settings(engine, max_header_count=20, max_header_bytes=2048), engine=engine
        )
        with TestClient(app) as client:
            many = [(f"x-filler-{n}".encode(), b"1") for n in range(20)]
            assert client.get("/healthz", headers=many).status_code == 431
            assert client.get("/healthz", headers={"X-Filler": "x" * 2048}).status_code == 431
            assert client.get("/healthz", headers={"X-Filler": "x" * 1500}).status_code == 200


class TestJsonBodiesOnly:
    @pytest.mark.parametrize(
        "content_type",
        [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/xml",
            "multipart/form-data; boundary=x",
            "application/json; charset=iso-8859-1",
            "application/jsonp",
            "text/json",
            None,
        ],
    )
    def test_a_body_that_is_not_json_is_415(
        self, client: TestClient, content_type: str | None
    ) -> None:
        headers = {"Content-Type": content_type} if content_type else {}

        response = client.post(SCORE, content=SCORE_BODY, headers=headers)

        problem = assert_problem(response, 415, "unsupported_media_type")
        assert "application/json" in problem["detail"]
        if content_type:
            assert content_type not in response.text  # never echoed

    @pytest.mark.parametrize(
        "content_type",
        [
            "application/json",
            "application/json; charset=utf-8",
            'Application/JSON;Charset="UTF-8"',
            "application/vnd.example+json",
        ],
    )
    def test_json_in_any_of_its_spellings_is_read(
        self, client: TestClient, content_type: str
    ) -> None:
        response = client.post(SCORE, content=SCORE_BODY, headers={"Content-Type": content_type})

        assert response.status_code == 200, response.text

    def test_a_streamed_body_is_checked_too(self, client: TestClient) -> None:
        def chunks() -> Iterator[bytes]:
            yield SCORE_BODY

        response = client.post(SCORE, content=chunks(), headers={"Content-Type": "text/plain"})

        assert_problem(response, 415, "unsupported_media_type")

    def test_requests_without_a_body_need_no_content_type(self, client: TestClient) -> None:
        response = client.get("/v1/catalogue", headers={"Content-Type": "text/plain"})

        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("value", "json"),
        [
            (b"application/json", True),
            (b"APPLICATION/JSON ; charset=utf8", True),
            (b"application/geo+json", True),
            (b"application/json; version=2", True),
            (b"application/json; charset=utf-16", False),
            (b"application/json-seq", False),
            (b"text/plain+json", False),
            (b"", False),
            (None, False),
        ],
    )
    def test_what_counts_as_json(self, value: bytes | None, json: bool) -> None:
        assert is_json(value) is json


class TestHead:
    @pytest.mark.parametrize(
        "path", ["/healthz", "/v1/catalogue", "/v1/exercises?limit=2", "/v1/exercises/clamshell"]
    )
    def test_head_is_get_without_the_body(self, client: TestClient, path: str) -> None:
        get = client.get(path)
        for _ in range(2):  # the second from the response cache, where it applies
            head = client.head(path)

            assert head.status_code == 200
            assert head.content == b""
            for name in ("content-type", "content-length", "etag", "cache-control"):
                assert head.headers.get(name) == get.headers.get(name), name

    def test_head_is_refused_where_get_is(self, client: TestClient) -> None:
        response = client.head("/v1/plans/preview")

        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.content == b""

    def test_allow_lists_head_where_it_is_served(self, client: TestClient) -> None:
        allow = client.put("/v1/catalogue").headers["allow"]

        assert allow == "GET, HEAD"
        assert client.head("/v1/catalogue").status_code == 200


class TestNosniff:
    def test_every_kind_of_response_says_nosniff(self, client: TestClient) -> None:
        responses = [
            client.get("/healthz"),
            client.get("/v1/catalogue"),
            client.get("/v1/catalogue"),  # replayed from the response cache
            client.get("/v1/exercises/nope"),  # 404 problem
            client.post(SCORE, content=b"{}", headers={"Content-Type": "application/json"}),
            client.post(SCORE, content=SCORE_BODY, headers={"Content-Type": "text/plain"}),
            client.get("/docs"),
        ]

        for response in responses:
            assert response.headers.get_list("x-content-type-options") == ["nosniff"]


class TestClientDisconnect:
    @pytest.mark.parametrize(
        "path", [SCORE, "/v1/patients"], ids=["body read by the route", "body read by FastAPI"]
    )
    def test_a_client_gone_mid_body_is_no_error(
        self, client: TestClient, caplog: pytest.LogCaptureFixture, path: str
    ) -> None:
        sent = self._post_and_disconnect(client, path, caplog)

        statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
        assert 500 not in statuses
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
        assert all(r.exc_info is None for r in caplog.records)

    @staticmethod
    def _post_and_disconnect(
        client: TestClient, path: str, caplog: pytest.LogCaptureFixture
    ) -> list[Message]:
        headers = [
            (b"content-length", str(len(SCORE_BODY)).encode()),
            (b"authorization", b"Bearer hs_test_000000000000_" + b"a" * 40),
        ]
        with caplog.at_level(logging.DEBUG):
            return post_then_disconnect(client, path, SCORE_BODY[:40], headers)
