"""The limiter in memory: counting, the sliding window, header values, and failing open."""

import asyncio
import logging
from typing import Any

import pytest
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage

from app.rate_limits.limiter import (
    FAILURES_BEFORE_PAUSE,
    PAUSE_SECONDS,
    WINDOW_SECONDS,
    RateLimitDecision,
    RateLimiter,
    _remaining_and_reset,
)
from app.rate_limits.storage import MemoryWindows, memory_limiter
from tests.rate_limits.conftest import FakeClock


def known(decision: RateLimitDecision | None) -> RateLimitDecision:
    assert decision is not None, "memory cannot fail, so the decision is known"
    return decision


def hits(limiter: RateLimiter, identity: str, limit: int, n: int) -> list[RateLimitDecision]:
    async def run() -> list[RateLimitDecision]:
        return [known(await limiter.hit(identity, limit)) for _ in range(n)]

    return asyncio.run(run())


def test_counts_up_to_the_limit_then_refuses(clock: FakeClock) -> None:
    decisions = hits(memory_limiter(clock=clock), "address:10.0.0.1", 3, 4)
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert {d.limit for d in decisions} == {3}


def test_the_limit_cannot_be_taken_twice_across_a_window_boundary(clock: FakeClock) -> None:
    """A fixed window would grant 10 more just after the boundary: 20 within two seconds."""
    limiter = memory_limiter(clock=clock)
    clock.now += 59  # the last second of a window
    before = hits(limiter, "key:a", 10, 11)
    assert [d.allowed for d in before] == [True] * 10 + [False]

    clock.now += 2  # a second into the next window
    after = hits(limiter, "key:a", 10, 10)
    assert sum(d.allowed for d in after) <= 1  # the count is weighted, then rounded down

    clock.now += 29  # half the next window on: half the previous window's count has slid out
    later = hits(limiter, "key:a", 10, 10)
    assert sum(d.allowed for d in before + after + later) <= 16


def test_reset_says_when_a_request_is_allowed_again(clock: FakeClock) -> None:
    limiter = memory_limiter(clock=clock)
    clock.now += 0.2
    first, refused = hits(limiter, "key:a", 1, 2)
    assert first.reset_seconds == 60  # the window's end, rounded up
    assert (refused.allowed, refused.reset_seconds) == (False, 60)

    clock.now += refused.reset_seconds
    # One second into the next window the previous count still weighs 59/60 of a request,
    # rounded down to none: the wait was the right one.
    (again,) = hits(limiter, "key:a", 1, 1)
    assert again.allowed
    assert again.reset_seconds >= 1


def test_reset_is_a_whole_window_at_a_windows_first_instant(clock: FakeClock) -> None:
    """The clock starts on a window boundary: the counter lives exactly two windows there, and
    the window's end is a whole window away, not the 1 s a modulo of two windows would say."""
    first, refused = hits(memory_limiter(clock=clock), "key:a", 1, 2)
    assert first.reset_seconds == 60
    assert (refused.allowed, refused.reset_seconds) == (False, 60)


def test_identities_have_separate_counts(clock: FakeClock) -> None:
    limiter = memory_limiter(clock=clock)
    assert not hits(limiter, "key:a", 1, 2)[-1].allowed
    assert hits(limiter, "key:b", 1, 1)[0].allowed


def test_concurrent_hits_allow_exactly_the_limit(clock: FakeClock) -> None:
    limiter = memory_limiter(clock=clock)

    async def burst() -> list[RateLimitDecision | None]:
        return await asyncio.gather(*(limiter.hit("key:a", 5) for _ in range(20)))

    assert sum(known(d).allowed for d in asyncio.run(burst())) == 5


@pytest.mark.parametrize("identity", ["key:abc123", "address:10.0.0.1", "address:2001:db8::/64"])
def test_counters_are_keyed_as_limits_keys_them(clock: FakeClock, identity: str) -> None:
    """Workers share counters in Redis, across releases too: a key must stay ``limits``' own."""
    storage = MemoryWindows(clock=clock)
    limiter = RateLimiter(storage, close=nothing, clock=clock)
    hits(limiter, identity, 7, 1)
    key = RateLimitItemPerSecond(7, WINDOW_SECONDS).key_for(identity)
    assert list(storage.storage) == [f"{key}/{int(clock.now / WINDOW_SECONDS)}"]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        # A limit lowered below what was already counted (a tenant's new plan; Redis shared
        # with a worker on the old setting): nothing remains, never a negative count.
        ((0, 0.0, 7, 90.0), (0, 30)),
        # Only the previous window counted: its 6 requests weigh 6 x 25/60 = 2.5 (3 of 5
        # remain) and shed one every 10 s as the sliding window leaves them, the next in 5 s.
        ((6, 25.0, 0, 0.0), (3, 5)),
        # Nothing counted: the whole limit, and the smallest reset.
        ((0, 0.0, 0, 0.0), (5, 1)),
    ],
)
def test_remaining_and_reset_at_the_edges(
    window: tuple[int, float, int, float], expected: tuple[int, int]
) -> None:
    assert _remaining_and_reset(5, WINDOW_SECONDS, *window) == expected


def test_headers_are_the_ietf_draft_trio() -> None:
    assert RateLimitDecision(True, 10, 6, 13).headers() == [
        (b"ratelimit-limit", b"10"),
        (b"ratelimit-remaining", b"6"),
        (b"ratelimit-reset", b"13"),
    ]


class BrokenStorage(MemoryStorage):
    """A store that is down: every count fails, as a connection refused would."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.down = True

    async def acquire_sliding_window_entry(self, *args: Any, **kwargs: Any) -> bool:
        self.calls += 1
        if self.down:
            raise ConnectionRefusedError("store is down")
        return bool(await super().acquire_sliding_window_entry(*args, **kwargs))


async def nothing() -> None:
    return None


def test_failing_store_lets_requests_through_and_pauses_after_failures_in_a_row(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    storage = BrokenStorage()
    limiter = RateLimiter(storage, close=nothing, clock=clock)

    async def attempt() -> RateLimitDecision | None:
        return await limiter.hit("address:192.0.2.7", 1)

    with caplog.at_level(logging.WARNING, logger="app.rate_limits.limiter"):
        # Isolated failures (a slow reply on a busy machine) change nothing but their request.
        for n in range(1, FAILURES_BEFORE_PAUSE):
            assert asyncio.run(attempt()) is None
            assert storage.calls == n
        assert caplog.records == []

        assert asyncio.run(attempt()) is None  # one failure too many: stop asking for a while
        assert storage.calls == FAILURES_BEFORE_PAUSE
        clock.now += PAUSE_SECONDS - 0.5
        assert asyncio.run(attempt()) is None
        assert storage.calls == FAILURES_BEFORE_PAUSE

        clock.now += 1  # the pause is over: ask again; still down, so pause again
        assert asyncio.run(attempt()) is None
        assert storage.calls == FAILURES_BEFORE_PAUSE + 1
        clock.now += PAUSE_SECONDS
        storage.down = False
        recovered = asyncio.run(attempt())

    assert recovered is not None
    assert recovered.allowed
    assert len(caplog.records) == 1  # one warning a window at most
    message = caplog.records[0].getMessage()
    assert "ConnectionRefusedError" in message
    assert "192.0.2.7" not in message
    assert "address" not in message
