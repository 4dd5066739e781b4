"""The in-memory limiter: counting, window reset, header values, memory bound."""

import asyncio

from app.rate_limits.limiter import MemoryRateLimiter, RateLimitDecision, decide


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def hit(limiter: MemoryRateLimiter, identity: str, limit: int) -> RateLimitDecision:
    return asyncio.run(limiter.hit(identity, limit))


def test_counts_up_to_the_limit_then_refuses() -> None:
    limiter = MemoryRateLimiter(clock=FakeClock())
    decisions = [hit(limiter, "address:10.0.0.1", 3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert {d.limit for d in decisions} == {3}


def test_reset_counts_down_and_a_new_window_starts_when_it_ends() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    assert hit(limiter, "key:a", 1).reset_seconds == 60
    clock.now += 30.2
    refused = hit(limiter, "key:a", 1)
    assert (refused.allowed, refused.reset_seconds) == (False, 30)
    clock.now += 29.7
    assert hit(limiter, "key:a", 1).reset_seconds == 1  # never 0 while the window runs
    clock.now += 0.1
    fresh = hit(limiter, "key:a", 1)
    assert (fresh.allowed, fresh.remaining, fresh.reset_seconds) == (True, 0, 60)


def test_identities_have_separate_windows() -> None:
    limiter = MemoryRateLimiter(clock=FakeClock())
    assert not [hit(limiter, "key:a", 1) for _ in range(2)][-1].allowed
    assert hit(limiter, "key:b", 1).allowed


def test_concurrent_hits_allow_exactly_the_limit() -> None:
    limiter = MemoryRateLimiter(clock=FakeClock())

    async def burst() -> list[RateLimitDecision]:
        return await asyncio.gather(*(limiter.hit("key:a", 5) for _ in range(20)))

    assert sum(d.allowed for d in asyncio.run(burst())) == 5


def test_ended_windows_are_dropped_when_a_new_one_starts() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    for n in range(50):
        hit(limiter, f"address:10.0.0.{n}", 5)
    clock.now += 60
    hit(limiter, "address:10.0.1.1", 5)
    assert len(limiter) == 1


def test_live_windows_are_bounded_oldest_forgotten_first() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(max_identities=3, clock=clock)
    for n in range(10):
        clock.now += 1
        hit(limiter, f"address:10.0.0.{n}", 1)
    assert len(limiter) == 3
    assert not hit(limiter, "address:10.0.0.9", 1).allowed  # the newest is still counted
    assert hit(limiter, "address:10.0.0.0", 1).allowed  # the oldest was forgotten


def test_close_forgets_everything() -> None:
    limiter = MemoryRateLimiter(clock=FakeClock())
    hit(limiter, "key:a", 1)
    asyncio.run(limiter.aclose())
    assert len(limiter) == 0


def test_headers_are_the_ietf_draft_trio() -> None:
    assert decide(10, 4, 12.5).headers() == [
        (b"ratelimit-limit", b"10"),
        (b"ratelimit-remaining", b"6"),
        (b"ratelimit-reset", b"13"),
    ]
