"""The shared cache in front of public content: what it stores, replays and refuses."""

from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from app.http.response_cache import PublicResponseCache


def make_client(version: dict[str, str]) -> tuple[TestClient, list[str]]:
    calls: list[str] = []
    inner = FastAPI()

    @inner.get("/public")
    def public(q: str = "") -> Response:
        calls.append(f"public?{q}")
        return Response(
            content=f'{{"q": "{q}", "v": "{version["now"]}"}}',
            media_type="application/json",
            headers={
                "ETag": f'"{q}-{version["now"]}"',
                "Cache-Control": "public, max-age=300",
                "X-Dataset-Version": version["now"],
            },
        )

    @inner.get("/private")
    def private() -> Response:
        calls.append("private")
        return Response(b"{}", headers={"ETag": '"p"', "X-Dataset-Version": version["now"]})

    @inner.get("/broken")
    def broken() -> Response:
        calls.append("broken")
        return Response(
            b"{}",
            status_code=422,
            headers={"ETag": '"b"', "Cache-Control": "public", "X-Dataset-Version": "1"},
        )

    app = PublicResponseCache(inner, current_version=lambda: version["now"], max_bytes=1 << 20)
    return TestClient(app), calls


def test_repeat_is_served_from_cache_with_identical_bytes_and_headers() -> None:
    client, calls = make_client({"now": "1"})

    first = client.get("/public", params={"q": "a"})
    second = client.get("/public", params={"q": "a"})

    assert calls == ["public?a"]
    assert second.content == first.content
    assert second.headers == first.headers


def test_each_query_string_is_its_own_entry() -> None:
    client, calls = make_client({"now": "1"})

    client.get("/public", params={"q": "a"})
    client.get("/public", params={"q": "b"})

    assert calls == ["public?a", "public?b"]


def test_cached_entry_answers_if_none_match_with_304() -> None:
    client, _ = make_client({"now": "1"})
    etag = client.get("/public").headers["etag"]

    response = client.get("/public", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert "content-length" not in response.headers or response.headers["content-length"] == "0"


def test_new_dataset_version_bypasses_old_entries() -> None:
    version = {"now": "1"}
    client, calls = make_client(version)
    client.get("/public")

    version["now"] = "2"
    response = client.get("/public")

    assert calls == ["public?", "public?"]
    assert response.json()["v"] == "2"


def test_responses_not_marked_public_are_never_stored() -> None:
    client, calls = make_client({"now": "1"})

    client.get("/private")
    client.get("/private")

    assert calls == ["private", "private"]


def test_errors_are_never_stored() -> None:
    client, calls = make_client({"now": "1"})

    client.get("/broken")
    client.get("/broken")

    assert calls == ["broken", "broken"]


def test_non_get_requests_pass_through() -> None:
    client, calls = make_client({"now": "1"})
    client.get("/public")

    response = client.post("/public")

    assert response.status_code == 405
    assert calls == ["public?"]
