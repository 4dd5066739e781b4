import pytest
from fastapi.testclient import TestClient

from app.catalogue.content import Content
from app.core.db import make_engine


class TestHealth:
    def test_healthz(self, client: TestClient) -> None:
        response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_healthz_skips_the_stack_but_keeps_the_request_context(
        self, client: TestClient
    ) -> None:
        """Answered before FastAPI (inside the rate limits, which exempt it, and the response
        cache, which never stores it), it still carries the request id and nosniff, answers
        HEAD, and leaves a query string to the route (a 422 naming it)."""
        response = client.get("/healthz", headers={"X-Request-ID": "probe-1"})
        head = client.head("/healthz")
        with_query = client.get("/healthz?verbose=1")

        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-request-id"] == "probe-1"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "ratelimit-limit" not in response.headers
        assert head.status_code == 200
        assert head.content == b""
        assert with_query.status_code == 422
        assert with_query.json()["errors"][0]["loc"] == ["query", "verbose"]

    def test_readyz_reports_the_dataset(self, client: TestClient, content: Content) -> None:
        response = client.get("/readyz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok", "dataset_version": content.version}

    def test_readyz_is_503_when_the_database_is_unreachable(
        self, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        unreachable = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
        monkeypatch.setattr(client.app.state, "engine", unreachable)  # type: ignore[attr-defined]

        response = client.get("/readyz")

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_ready"
        assert "nobody" not in response.text
        unreachable.dispose()
