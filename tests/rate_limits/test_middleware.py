"""The middleware through a small app wired like the real one: request ids outermost, the
project's problem+json handlers, an authenticated prefix whose dependency counts per key, as
authentication does."""

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import pytest
import redis
from fastapi import Depends, FastAPI, Header, Request
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from app.core.config import Settings
from app.http.middleware import RequestContextMiddleware
from app.http.openapi import CONTRACT_PATH
from app.http.problems import install_exception_handlers
from app.patients.router import patients_router
from app.rate_limits import install_rate_limits
from app.rate_limits.enforce import enforce_rate_limit
from app.rate_limits.middleware import RateLimitMiddleware, address_identity
from app.rate_limits.storage import KEY_PREFIX, memory_limiter

ANONYMOUS_LIMIT = 3
KEY_LIMIT = 5


async def caller(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> str:
    """Stands in for the auth dependency: counts per key, or per address without one."""
    if x_api_key is None:
        assert request.client is not None
        await enforce_rate_limit(request, f"address:{request.client.host}", ANONYMOUS_LIMIT)
        return "anonymous"
    await enforce_rate_limit(request, f"key:{x_api_key}", KEY_LIMIT)
    return x_api_key


def build_app(redis_url: str | None = None) -> FastAPI:
    settings = Settings.model_validate(
        {
            "redis_url": redis_url,
            "anonymous_rate_limit_per_minute": ANONYMOUS_LIMIT,
            "rate_limit_per_minute": KEY_LIMIT,
        }
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.rate_limiter.aclose()

    app = FastAPI(lifespan=lifespan)
    install_exception_handlers(app)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/things")
    async def things() -> list[str]:
        return ["a"]

    @app.get("/v1/patients/{patient_id}")
    async def patient(patient_id: str, who: Annotated[str, Depends(caller)]) -> dict[str, str]:
        return {"id": patient_id}

    install_rate_limits(app, settings, authenticated_prefixes=("/v1/patients",))
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=65536,
        max_header_bytes=16384,
        max_header_count=100,
        access_log=False,
    )
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(build_app(), client=("10.0.0.1", 123)) as test_client:
        yield test_client


def test_the_request_beyond_the_limit_gets_a_problem_429(client: TestClient) -> None:
    allowed = [client.get("/v1/things") for _ in range(ANONYMOUS_LIMIT)]
    assert [r.status_code for r in allowed] == [200] * ANONYMOUS_LIMIT
    assert [r.headers["RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    assert {r.headers["RateLimit-Limit"] for r in allowed} == {"3"}
    assert "Retry-After" not in allowed[0].headers

    refused = client.get("/v1/things", headers={"X-Request-ID": "req-429"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["X-Request-ID"] == "req-429"
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Reset"] == refused.headers["Retry-After"]
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert body["title"] == "Too Many Requests"
    assert body["status"] == 429
    assert body["instance"] == "/v1/things"
    assert body["request_id"] == "req-429"
    assert "second" in body["detail"]
    assert "10.0.0.1" not in body["detail"]


def test_health_is_exempt_beyond_the_limit(client: TestClient) -> None:
    for _ in range(ANONYMOUS_LIMIT + 1):
        client.get("/v1/things")
    for _ in range(ANONYMOUS_LIMIT + 2):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response.headers


def test_addresses_have_separate_buckets(client: TestClient) -> None:
    for _ in range(ANONYMOUS_LIMIT + 1):
        client.get("/v1/things")
    with TestClient(client.app, client=("10.0.0.2", 123)) as other:
        response = other.get("/v1/things")
    assert response.status_code == 200
    assert response.headers["RateLimit-Remaining"] == "2"


def test_authenticated_prefix_is_counted_per_key_by_the_dependency(client: TestClient) -> None:
    responses = [
        client.get("/v1/patients/p1", headers={"X-API-Key": "k1"}) for _ in range(KEY_LIMIT + 1)
    ]
    assert [r.status_code for r in responses] == [200] * KEY_LIMIT + [429]
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0"]
    assert {r.headers["RateLimit-Limit"] for r in responses} == {"5"}
    refused = responses[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert "k1" not in refused.json()["detail"]
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"]
    # The middleware counted none of those against the address.
    assert client.get("/v1/things").headers["RateLimit-Remaining"] == "2"


def test_anonymous_calls_under_the_prefix_count_per_address(client: TestClient) -> None:
    statuses = [client.get("/v1/patients/p1").status_code for _ in range(ANONYMOUS_LIMIT + 1)]
    assert statuses == [200] * ANONYMOUS_LIMIT + [429]


def test_paths_under_the_prefix_that_no_route_serves_count_per_address(
    client: TestClient,
) -> None:
    """The auth dependency never runs for them, so the middleware counts them itself."""
    responses = [client.get("/v1/patients/p1/nothing-here") for _ in range(ANONYMOUS_LIMIT)]
    assert [r.status_code for r in responses] == [404] * ANONYMOUS_LIMIT
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]

    refused = client.delete("/v1/patients/p1", headers={"X-Request-ID": "req-405"})
    assert refused.status_code == 429  # a 405 otherwise
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["request_id"] == "req-405"
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == refused.headers["RateLimit-Reset"]
    assert client.get("/v1/things").status_code == 429  # the same address's allowance


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("192.0.2.1", "192.0.2.2", False),
    ],
)
def test_ipv6_clients_count_by_their_64_network(one: str, other: str, same: bool) -> None:
    """A subscriber holds a whole /64: hopping addresses in it must not reset its count, nor
    fill the limiter's memory with counters."""
    identities = {address_identity({"client": (host, 1234)}) for host in (one, other)}
    assert (len(identities) == 1) is same


def test_a_shared_header_list_is_never_modified() -> None:
    """Cached replays send the same header list every time; adding to it would pile up."""
    cached_headers = [(b"content-type", b"text/plain")]

    async def replay(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": cached_headers})
        await send({"type": "http.response.body", "body": b"ok"})

    app = RequestContextMiddleware(
        RateLimitMiddleware(
            replay, limiter=memory_limiter(), limit_per_minute=10, authenticated_prefixes=()
        ),
        max_body_bytes=65536,
        max_header_bytes=16384,
        max_header_count=100,
        access_log=False,
    )
    test_client = TestClient(app)  # no lifespan: the bare ASGI app handles HTTP only
    for _ in range(2):
        assert test_client.get("/v1/things").headers["RateLimit-Limit"] == "10"
    assert cached_headers == [(b"content-type", b"text/plain")]


@pytest.fixture
def redis_address(redis_url: str, redis_client: redis.Redis) -> Iterator[str]:
    """A client address no other run uses, its counters deleted afterwards."""
    address = f"test-{uuid.uuid4().hex}"
    yield address
    # Bounded: the test writes two counters for the address.
    keys = list(redis_client.scan_iter(match=f"{KEY_PREFIX}:*{address}*", count=1000))
    if keys:
        redis_client.delete(*keys)


def test_two_replicas_sharing_redis_enforce_one_limit(redis_url: str, redis_address: str) -> None:
    peer = (redis_address, 123)
    with (
        TestClient(build_app(redis_url), client=peer) as one,
        TestClient(build_app(redis_url), client=peer) as two,
    ):
        statuses = [one.get("/v1/things").status_code, two.get("/v1/things").status_code]
        statuses += [one.get("/v1/things").status_code, two.get("/v1/things").status_code]
        assert two.get("/healthz").status_code == 200
    assert statuses == [200, 200, 200, 429]


def test_unreachable_redis_lets_requests_through_without_headers() -> None:
    with TestClient(build_app("redis://127.0.0.1:1/0")) as client:
        responses = [client.get("/v1/things") for _ in range(ANONYMOUS_LIMIT + 1)]
    assert [r.status_code for r in responses] == [200] * (ANONYMOUS_LIMIT + 1)
    assert "RateLimit-Limit" not in responses[-1].headers


def test_every_keyed_operation_is_under_the_prefix_the_middleware_leaves_to_the_dependency() -> (
    None
):
    """The middleware counts everything else per address before the app runs: a keyed
    operation elsewhere would be counted twice, and its headers would show the first count."""
    contract = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))
    keyed = [
        path
        for path, item in contract["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict) and operation.get("security")
    ]
    assert keyed, "the contract declares keyed operations"
    assert [path for path in keyed if not path.startswith(patients_router.prefix)] == []
