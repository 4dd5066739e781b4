"""Conventions every route shares: problem+json errors, request ids, body limits, CORS."""

import json
import logging
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.requests import ClientDisconnect

from app.core.logging import JsonFormatter
from app.http.problems import status_error
from app.main import create_app
from tests.conftest import app_settings
from tests.http.disconnect import post_then_disconnect

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def failing_client(engine: Engine) -> Iterator[TestClient]:
    """An app with one route that crashes, to see what a 500 looks like from outside."""
    app: FastAPI = create_app(
        app_settings(
            engine,
            max_body_bytes=2048,
            cors_origins=["https://clinic.example"],
            access_log=True,
        ),
        engine=engine,
    )

    @app.get("/boom", tags=["health"])
    def boom() -> None:
        raise RuntimeError("database password is hunter2")

    @app.post("/gone", tags=["health"])
    async def gone(request: Request) -> None:
        try:
            await request.body()
        except ClientDisconnect:
            raise RuntimeError("cleanup failed after the client left") from None

    @app.post("/echo", tags=["health"])
    def echo(payload: dict[str, str]) -> dict[str, str]:
        return payload

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


class TestProblemDetails:
    def test_unknown_path_is_404_problem(self, client: TestClient) -> None:
        response = client.get("/v1/nothing-here")

        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM_JSON
        problem = response.json()
        assert problem == {
            "type": "https://hipspine.example/problems/not_found",
            "title": "Not Found",
            "status": 404,
            "detail": "No resource at this path.",
            "instance": "/v1/nothing-here",
            "code": "not_found",
            "request_id": response.headers["x-request-id"],
        }

    def test_wrong_method_is_405_problem(self, client: TestClient) -> None:
        response = client.post("/v1/exercises", json={})

        assert response.status_code == 405
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "method_not_allowed"
        assert "GET" in response.headers["allow"]

    @pytest.mark.parametrize(
        ("path", "allow"),
        [
            ("/v1/patients", "GET, HEAD, POST"),
            ("/v1/patients/3f0c2a8e-58a1-4a8f-9d59-2f4bbd7f1e10", "DELETE, GET, HEAD, PATCH"),
            ("/v1/plans/preview", "POST"),
        ],
    )
    def test_allow_names_every_method_the_path_serves(
        self, client: TestClient, path: str, allow: str
    ) -> None:
        response = client.request("PUT", path)

        assert response.status_code == 405
        assert response.headers["allow"] == allow

    def test_unknown_query_parameter_on_a_route_without_parameters(
        self, client: TestClient
    ) -> None:
        response = client.get("/v1/catalogue", params={"format": "xml"})

        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "format"]

    def test_500_hides_the_exception_and_keeps_the_request_id(
        self, failing_client: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="app.error"):
            response = failing_client.get("/boom", headers={"X-Request-ID": "trace-500"})

        assert response.status_code == 500
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers["x-request-id"] == "trace-500"
        problem = response.json()
        assert problem["code"] == "internal_error"
        assert problem["request_id"] == "trace-500"
        assert "hunter2" not in response.text
        assert "RuntimeError" not in response.text
        assert response.headers["connection"] == "close"
        # Rendered by the last-resort layer, logged once by the request context outside it.
        assert [record.getMessage() for record in caplog.records].count("unhandled error") == 1

    def test_an_error_after_the_client_left_is_no_500(
        self, failing_client: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Whatever the route raises once the client has gone, nobody is left to answer."""
        with caplog.at_level(logging.DEBUG, logger="app"):
            sent = post_then_disconnect(failing_client, "/gone", b'{"a"', [])

        assert [m for m in sent if m["type"] == "http.response.start"] == []
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


class TestBodyLimit:
    TOO_LARGE = "The request body is larger than the 2048 bytes allowed."

    def test_declared_oversized_body_is_413(self, failing_client: TestClient) -> None:
        response = failing_client.post(
            "/echo", content=b"{" + b" " * 4096 + b"}", headers={"content-type": "application/json"}
        )

        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "payload_too_large"
        assert response.json()["detail"] == self.TOO_LARGE
        assert response.json()["title"] == HTTPStatus(413).phrase
        assert "x-request-id" in response.headers

    def test_streamed_oversized_body_is_413_in_the_same_words(
        self, failing_client: TestClient
    ) -> None:
        def chunks() -> Iterator[bytes]:
            yield b'{"a": "'
            for _ in range(10):
                yield b"x" * 512
            yield b'"}'

        response = failing_client.post(
            "/echo", content=chunks(), headers={"content-type": "application/json"}
        )

        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        assert response.json()["detail"] == self.TOO_LARGE

    def test_body_within_limit_is_served(self, failing_client: TestClient) -> None:
        response = failing_client.post("/echo", json={"a": "b"})

        assert response.status_code == 200
        assert response.json() == {"a": "b"}

    def test_malformed_json_body_is_422_problem(self, failing_client: TestClient) -> None:
        response = failing_client.post(
            "/echo", content=b"{not json", headers={"content-type": "application/json"}
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM_JSON
        assert "not json" not in response.text


class TestTitles:
    @pytest.mark.parametrize(
        ("method", "path", "status"),
        [
            ("GET", "/v1/nothing-here", 404),
            ("PUT", "/v1/catalogue", 405),
            ("GET", "/v1/exercises?category=yoga", 422),
            ("GET", "/v1/patients", 401),
        ],
    )
    def test_every_title_is_the_status_phrase(
        self, client: TestClient, method: str, path: str, status: int
    ) -> None:
        response = client.request(method, path)

        assert response.status_code == status
        assert response.json()["title"] == HTTPStatus(status).phrase

    def test_the_500_title_too(self, failing_client: TestClient) -> None:
        assert failing_client.get("/boom").json()["title"] == HTTPStatus(500).phrase


class TestRequestId:
    def test_generated_when_absent(self, client: TestClient) -> None:
        first = client.get("/healthz").headers["x-request-id"]
        second = client.get("/healthz").headers["x-request-id"]

        assert len(first) == 32
        assert first != second

    def test_client_value_is_echoed(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": "abc-123.def_4"})

        assert response.headers["x-request-id"] == "abc-123.def_4"

    @pytest.mark.parametrize("unsafe", [b"a b", b"x" * 129, b"<script>", "é".encode()])
    def test_unsafe_client_value_is_replaced(self, client: TestClient, unsafe: bytes) -> None:
        response = client.get("/healthz", headers={b"X-Request-ID": unsafe})

        assert response.headers["x-request-id"].encode() != unsafe
        assert len(response.headers["x-request-id"]) == 32

    def test_on_error_responses_too(self, client: TestClient) -> None:
        response = client.get("/v1/exercises/nope")

        assert response.json()["request_id"] == response.headers["x-request-id"]


class TestAccessLog:
    def test_one_json_line_per_request_with_the_request_id(
        self, failing_client: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.handler.setFormatter(JsonFormatter())
        with caplog.at_level(logging.INFO, logger="app.access"):
            failing_client.get("/v1/exercises/clamshell", headers={"X-Request-ID": "log-me"})

        lines = [json.loads(line) for line in caplog.text.splitlines() if line]
        access = [line for line in lines if line["logger"] == "app.access"]
        assert access[-1]["request_id"] == "log-me"
        assert access[-1]["path"] == "/v1/exercises/clamshell"
        assert access[-1]["status"] == 200
        assert access[-1]["method"] == "GET"

    def test_off_by_default(self, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.INFO, logger="app.access"):
            client.get("/healthz")

        assert [r for r in caplog.records if r.name == "app.access"] == []


class TestCors:
    def test_allowed_origin_gets_cors_headers(self, failing_client: TestClient) -> None:
        response = failing_client.get("/healthz", headers={"Origin": "https://clinic.example"})

        assert response.headers["access-control-allow-origin"] == "https://clinic.example"
        assert "X-Request-ID" in response.headers["access-control-expose-headers"]

    def test_other_origin_gets_none(self, failing_client: TestClient) -> None:
        response = failing_client.get("/healthz", headers={"Origin": "https://evil.example"})

        assert "access-control-allow-origin" not in response.headers

    def test_a_refused_query_string_carries_cors_headers(self, failing_client: TestClient) -> None:
        """A browser reads a cross-origin error only with CORS headers on it."""
        response = failing_client.get(
            "/v1/exercises?limit=2&limit=3", headers={"Origin": "https://clinic.example"}
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["type"] == "repeated"
        assert response.headers["access-control-allow-origin"] == "https://clinic.example"
        assert "ratelimit-remaining" in response.headers  # counted, as any request is

    def test_preflight_carries_request_id(self, failing_client: TestClient) -> None:
        response = failing_client.options(
            "/v1/exercises",
            headers={"Origin": "https://clinic.example", "Access-Control-Request-Method": "GET"},
        )

        assert response.status_code == 200
        assert "x-request-id" in response.headers


class TestStatusTable:
    @pytest.mark.parametrize(
        ("status", "code", "detail"),
        [
            (404, "not_found", "No resource at this path."),
            (405, "method_not_allowed", "This path does not support the method."),
            (413, "payload_too_large", "The request body is larger than the server accepts."),
            (418, "bad_request", "The request could not be parsed."),  # no such row: a 400
            (502, "internal_error", "The server could not complete the request."),
        ],
    )
    def test_a_status_gives_its_error_code_title_and_words(
        self, status: int, code: str, detail: str
    ) -> None:
        error = status_error(status)

        assert error.code == code
        assert error.title == HTTPStatus(error.status).phrase
        assert error.detail.startswith(detail)
        assert status_error(status, "Said otherwise.").detail == "Said otherwise."
