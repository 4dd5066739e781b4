"""The two stores: memory (swept now and then) and Redis (one limit across workers, expiry,
failing open, and patience with a busy machine)."""

import asyncio
import logging
import math
import random
import time

import pytest
import redis
from limits.aio.storage import MemoryStorage

from app.core.config import Settings
from app.rate_limits.limiter import FAILURES_BEFORE_PAUSE, RateLimitDecision, RateLimiter
from app.rate_limits.storage import (
    SWEEP_EVERY_SECONDS,
    MemoryWindows,
    memory_limiter,
    redis_limiter,
)
from tests.proxy import TcpProxy
from tests.rate_limits.conftest import FakeClock

# --- memory ------------------------------------------------------------------------------------


@pytest.fixture
def sweeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records each sweep the memory storage makes over its counters."""
    made: list[float] = []
    sweep = MemoryWindows._sweep

    def recorded(self: MemoryWindows, now: float) -> None:
        made.append(now)
        sweep(self, now)

    monkeypatch.setattr(MemoryWindows, "_sweep", recorded)
    return made


def test_memory_is_swept_now_and_then_not_on_every_request(
    clock: FakeClock, sweeps: list[float]
) -> None:
    """Upstream sweeps every counter after each request: the cost of a request would grow
    with the number of clients seen in the last two minutes."""
    limiter = memory_limiter(clock=clock)

    async def traffic(clients: int) -> None:
        for n in range(clients):
            await limiter.hit(f"address:10.0.{n // 256}.{n % 256}", 5)

    asyncio.run(traffic(500))
    assert len(sweeps) == 1
    clock.now += SWEEP_EVERY_SECONDS
    asyncio.run(traffic(500))
    assert len(sweeps) == 2


def test_memory_decides_as_limits_own_memory_storage_does(clock: FakeClock) -> None:
    """The one-pass count against upstream's storage and strategy, hit for hit, over a
    random walk of hits and pauses across several windows for a few clients."""
    ours = memory_limiter(clock=clock)
    upstream = MemoryStorage()
    theirs = RateLimiter(upstream, close=upstream.reset, clock=clock)
    walk = random.Random(20261129)

    async def compare() -> None:
        for _ in range(3_000):
            identity, limit = f"key:{walk.randrange(3)}", walk.choice([1, 5, 20])
            assert await ours.hit(identity, limit) == await theirs.hit(identity, limit)
            clock.now += walk.choice([0.0, 0.01, 0.5, 3.0, 17.0])

    asyncio.run(compare())


def test_memory_gives_expired_counters_back(clock: FakeClock) -> None:
    limiter = memory_limiter(clock=clock)
    storage = limiter_storage(limiter)

    async def traffic(prefix: str, clients: int) -> None:
        for n in range(clients):
            await limiter.hit(f"address:{prefix}.{n}", 5)
        await asyncio.sleep(0)

    asyncio.run(traffic("10.0.0", 200))
    assert len(storage.storage) >= 200
    clock.now += 3 * 60  # every counter has expired (they live two windows)
    asyncio.run(traffic("10.0.1", 1))
    assert len(storage.storage) == 1


def limiter_storage(limiter: RateLimiter) -> MemoryStorage:
    storage = vars(limiter)["_storage"]
    assert isinstance(storage, MemoryStorage)
    return storage


# --- Redis -------------------------------------------------------------------------------------


def known(decision: RateLimitDecision | None) -> RateLimitDecision:
    assert decision is not None, "Redis answered, so the decision is known"
    return decision


def shared(redis_url: str, key_prefix: str, **options: float) -> RateLimiter:
    timeout = options.pop("timeout_seconds", Settings().redis_timeout_seconds)
    return redis_limiter(redis_url, timeout_seconds=timeout, key_prefix=key_prefix)


def test_redis_counts_and_reports_remaining_and_reset(redis_url: str, key_prefix: str) -> None:
    """The window's end is a whole window after its first hit, less the time the hits took
    (Redis counts it down; whole seconds, rounded up)."""

    async def scenario() -> list[RateLimitDecision]:
        limiter = shared(redis_url, key_prefix)
        try:
            return [known(await limiter.hit("key:a", 2)) for _ in range(3)]
        finally:
            await limiter.aclose()

    started = time.monotonic()
    decisions = asyncio.run(scenario())
    took = time.monotonic() - started
    assert [d.allowed for d in decisions] == [True, True, False]
    assert [d.remaining for d in decisions] == [1, 0, 0]
    for decision in decisions:
        assert math.ceil(60 - took) <= decision.reset_seconds <= 60


def test_two_workers_share_one_limit(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> tuple[list[bool], list[bool], list[bool]]:
        one, two = shared(redis_url, key_prefix), shared(redis_url, key_prefix)
        try:
            return (
                [known(await one.hit("key:shared", 3)).allowed for _ in range(2)],
                [known(await two.hit("key:shared", 3)).allowed for _ in range(2)],
                [known(await two.hit("key:other", 3)).allowed],
            )
        finally:
            await one.aclose()
            await two.aclose()

    from_one, from_two, other = asyncio.run(scenario())
    assert from_one + from_two == [True, True, True, False]
    assert other == [True]


def test_redis_concurrent_hits_allow_exactly_the_limit(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> list[RateLimitDecision | None]:
        limiter = shared(redis_url, key_prefix)
        try:
            return await asyncio.gather(*(limiter.hit("key:burst", 5) for _ in range(20)))
        finally:
            await limiter.aclose()

    assert sum(known(d).allowed for d in asyncio.run(scenario())) == 5


def test_redis_counters_expire_by_themselves(
    redis_url: str, key_prefix: str, redis_client: redis.Redis
) -> None:
    async def scenario() -> None:
        limiter = shared(redis_url, key_prefix)
        try:
            await limiter.hit("key:fresh", 10)
        finally:
            await limiter.aclose()

    asyncio.run(scenario())
    keys = list(redis_client.scan_iter(match=f"{key_prefix}:*", count=100))
    assert keys
    for key in keys:
        assert 0 < redis_client.pttl(key) <= 120_000  # two windows at most


def test_slow_redis_replies_are_still_counted(
    redis_url: str, key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """On a busy 2-core machine a reply can take a good part of a second to be read (Redis and
    the workers share the cores; the event loop stalls on CPU-bound work). With the former
    0.25 s timeout such a reply failed the call, and one failure turned the limiter off."""
    with TcpProxy("127.0.0.1", 6379) as proxy:

        async def scenario() -> RateLimitDecision | None:
            limiter = shared(f"redis://127.0.0.1:{proxy.port}/0", key_prefix)
            try:
                await limiter.hit("key:warm-up", 10)  # connected, as a serving worker is
                proxy.reply_delay = 0.6
                return await limiter.hit("key:busy", 10)
            finally:
                await limiter.aclose()

        with caplog.at_level(logging.WARNING, logger="app.rate_limits.limiter"):
            decision = asyncio.run(scenario())
    assert decision is not None
    assert decision.allowed
    assert caplog.records == []


def test_unreachable_redis_fails_open_fast(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> list[RateLimitDecision | None]:
        limiter = redis_limiter("redis://127.0.0.1:1/0", timeout_seconds=2)
        try:
            return [await limiter.hit("address:192.0.2.7", 1) for _ in range(10)]
        finally:
            await limiter.aclose()

    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="app.rate_limits.limiter"):
        decisions = asyncio.run(scenario())
    assert time.perf_counter() - started < 2  # refused at once, never retried, then paused
    assert decisions == [None] * 10
    assert len(caplog.records) == 1
    assert f"{FAILURES_BEFORE_PAUSE} times in a row" in caplog.records[0].getMessage()
