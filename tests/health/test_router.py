import pytest
from fastapi.testclient import TestClient

from app.catalogue.content import Content
from app.core.db import make_engine


class TestHealth:
    def test_healthz(self, client: TestClient) -> None:
        response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

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
