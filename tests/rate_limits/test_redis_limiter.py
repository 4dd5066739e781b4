"""The Redis limiter against the local Redis: one limit across workers, expiry, failing open."""

import asyncio
import logging
import time

import pytest
import redis

from app.rate_limits.limiter import RateLimitDecision
from app.rate_limits.redis_limiter import RedisRateLimiter


def known(decision: RateLimitDecision | None) -> RateLimitDecision:
    assert decision is not None, "Redis answered, so the decision is known"
    return decision


async def hits(limiter: RedisRateLimiter, identity: str, limit: int, n: int) -> list[bool]:
    return [known(await limiter.hit(identity, limit)).allowed for _ in range(n)]


def test_counts_and_reports_remaining_and_reset(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> list[RateLimitDecision]:
        limiter = RedisRateLimiter(redis_url, key_prefix=key_prefix)
        try:
            return [known(await limiter.hit("key:a", 2)) for _ in range(3)]
        finally:
            await limiter.aclose()

    decisions = asyncio.run(scenario())
    assert [d.allowed for d in decisions] == [True, True, False]
    assert [d.remaining for d in decisions] == [1, 0, 0]
    assert 59 <= decisions[-1].reset_seconds <= 60


def test_two_workers_share_one_limit(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> tuple[list[bool], list[bool], list[bool]]:
        one = RedisRateLimiter(redis_url, key_prefix=key_prefix)
        two = RedisRateLimiter(redis_url, key_prefix=key_prefix)
        try:
            return (
                await hits(one, "key:shared", 3, 2),
                await hits(two, "key:shared", 3, 2),
                await hits(two, "key:other", 3, 1),
            )
        finally:
            await one.aclose()
            await two.aclose()

    from_one, from_two, other = asyncio.run(scenario())
    assert from_one + from_two == [True, True, True, False]
    assert other == [True]


def test_concurrent_hits_allow_exactly_the_limit(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> list[RateLimitDecision | None]:
        limiter = RedisRateLimiter(redis_url, key_prefix=key_prefix)
        try:
            return await asyncio.gather(*(limiter.hit("key:burst", 5) for _ in range(20)))
        finally:
            await limiter.aclose()

    decisions = asyncio.run(scenario())
    assert sum(d is not None and d.allowed for d in decisions) == 5


def test_keys_expire_by_themselves(
    redis_url: str, key_prefix: str, redis_client: redis.Redis
) -> None:
    # A counter left without an expiry (by hand here) gets one on its next hit.
    redis_client.set(f"{key_prefix}key:stuck", 7)

    async def scenario() -> None:
        limiter = RedisRateLimiter(redis_url, key_prefix=key_prefix)
        try:
            await limiter.hit("key:fresh", 10)
            await limiter.hit("key:stuck", 10)
        finally:
            await limiter.aclose()

    asyncio.run(scenario())
    for identity in ("key:fresh", "key:stuck"):
        assert 0 < redis_client.pttl(f"{key_prefix}{identity}") <= 60_000
    assert redis_client.get(f"{key_prefix}key:stuck") == b"8"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_unreachable_redis_fails_open_fast_and_warns_once_per_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()

    async def scenario() -> list[RateLimitDecision | None]:
        limiter = RedisRateLimiter("redis://127.0.0.1:1/0", timeout_seconds=0.2, clock=clock)
        decisions = []
        try:
            for step in (0.0, 0.5, 1.0, 30.0, 60.0):  # paused, retried, retried, next window
                clock.now = 1000.0 + step
                decisions.append(await limiter.hit("address:192.0.2.7", 1))
        finally:
            await limiter.aclose()
        return decisions

    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="app.rate_limits.redis_limiter"):
        decisions = asyncio.run(scenario())
    assert time.perf_counter() - started < 2
    assert decisions == [None] * 5
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert all("192.0.2.7" not in message and "address" not in message for message in warnings)
