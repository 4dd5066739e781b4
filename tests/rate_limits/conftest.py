"""Redis for the rate-limit tests (the local server, under keys no other test or run shares),
and a clock the limiter and ``limits`` both read."""

import socket
import uuid
from collections.abc import Iterator
from functools import cache

import pytest
import redis

from app.rate_limits.storage import KEY_PREFIX
from tests.conftest import require

REDIS_URL = "redis://127.0.0.1:6379/0"


@cache
def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    require(redis_reachable(), "Redis is not reachable")
    return REDIS_URL


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url) as client:
        yield client


@pytest.fixture
def key_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"{KEY_PREFIX}:test-{uuid.uuid4().hex}"
    yield prefix
    # Bounded: a test writes a handful of keys under its prefix.
    keys = list(redis_client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        redis_client.delete(*keys)


class FakeClock:
    """Wall-clock time that moves only when a test moves it; it starts on a window boundary
    (``limits`` aligns its in-memory windows to multiples of their length)."""

    def __init__(self) -> None:
        self.now = 1_000_020.0

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The same fake clock for the limiter and for ``limits``' memory storage and strategies,
    which read ``time.time()``."""
    fake = FakeClock()
    for module in ("limits.aio.storage.memory", "limits.aio.strategies"):
        monkeypatch.setattr(f"{module}.time", fake)
    return fake
