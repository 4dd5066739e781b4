"""The shared cache in front of public content: what it stores, replays and refuses, and the
memory it may take."""

import asyncio
import gc
import tracemalloc
from itertools import count

from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.response_cache import PublicResponseCache


def make_client(
    version: dict[str, str], *, outer: type["StampingLayer"] | None = None
) -> tuple[TestClient, list[str]]:
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

    app: ASGIApp = PublicResponseCache(
        inner, current_version=lambda: version["now"], max_bytes=1 << 20
    )
    if outer is not None:
        app = outer(app)
    return TestClient(app), calls


class StampingLayer:
    """An outer layer like the request context and the rate limiter: it adds per-request
    headers to the very start message the app sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        number = str(next(self.requests)).encode()

        async def stamp(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-request-id", number)]
            await send(message)

        await self.app(scope, receive, stamp)


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


def test_a_replay_carries_only_its_own_request_headers() -> None:
    """The cache once stored the headers the outer layers had added to the first response, so
    every replay sent them again: two request ids, the first one another client's."""
    client, calls = make_client({"now": "1"}, outer=StampingLayer)

    first = client.get("/public")
    replays = [client.get("/public") for _ in range(2)]

    assert calls == ["public?"]
    assert first.headers.get_list("x-request-id") == ["1"]
    assert [r.headers.get_list("x-request-id") for r in replays] == [["2"], ["3"]]


def test_in_the_app_every_header_appears_once_on_replays(client: TestClient) -> None:
    for request_id in ("first-caller", "second-caller", "third-caller"):
        response = client.get("/v1/catalogue", headers={"X-Request-ID": request_id})

        assert response.status_code == 200
        assert response.headers.get_list("x-request-id") == [request_id]
        names = [name.lower() for name, _ in response.headers.multi_items()]
        assert len(names) == len(set(names)), names
        assert "ratelimit-remaining" in names


def response_cache_of(app: ASGIApp | None) -> PublicResponseCache:
    """The app's response cache, found among its middleware."""
    while app is not None and not isinstance(app, PublicResponseCache):
        app = getattr(app, "app", None)
    assert app is not None, "the app has a response cache"
    return app


def test_in_the_app_a_repeated_parameter_is_refused_where_the_query_is_cached(
    client: TestClient,
) -> None:
    """The refusal sits inside the cache: a replay skips it, yet a query string that gives a
    parameter twice is never answered from an entry of the one that gives it once."""
    assert [client.get("/v1/exercises?limit=2").status_code for _ in range(2)] == [200, 200]

    refused = client.get("/v1/exercises?limit=2&limit=2")

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["query", "limit"]


def test_in_the_app_the_liveness_probe_is_never_stored(client: TestClient) -> None:
    """Liveness sits inside the cache, which must not keep (or replay) the probe's answer."""
    assert isinstance(client.app, FastAPI)
    cache = response_cache_of(client.app.middleware_stack)
    stored = len(cache)

    assert client.get("/healthz").status_code == 200
    assert client.head("/healthz").status_code == 200

    assert len(cache) == stored


def test_memory_stays_within_the_bound_under_thousands_of_distinct_bodies() -> None:
    """Anyone can ask for a new query string; the entries' bytes, as Python holds them, stay
    under ``max_bytes`` however many there are."""
    max_bytes = 1_000_000
    body_size = 8_192

    async def public(scope: Scope, receive: Receive, send: Send) -> None:
        body = scope["query_string"] * (body_size // len(scope["query_string"]))
        headers = [
            (b"content-type", b"application/json"),
            (b"etag", b'"' + scope["query_string"] + b'"'),
            (b"cache-control", b"public, max-age=300"),
            (b"x-dataset-version", b"1"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    cache = PublicResponseCache(public, current_version=lambda: "1", max_bytes=max_bytes)

    async def drive(requests: int) -> None:
        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def discard(message: Message) -> None:
            return None

        for n in range(requests):
            query = f"q=distinct-{n:06d}".encode()
            scope = {"type": "http", "method": "GET", "path": "/p", "query_string": query}
            await cache(scope, receive, discard)

    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        asyncio.run(drive(3_000))  # 24 MiB of bodies, were they all kept
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert cache.size <= max_bytes
    assert len(cache) > 50  # still caching: the most recent fill the bound
    assert held - before <= max_bytes


def test_a_zero_bound_caches_nothing() -> None:
    calls: list[str] = []

    async def public(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append("public")
        headers = [(b"etag", b'"a"'), (b"cache-control", b"public"), (b"x-dataset-version", b"1")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    client = TestClient(PublicResponseCache(public, current_version=lambda: "1", max_bytes=0))
    client.get("/p")
    client.get("/p")

    assert calls == ["public", "public"]
