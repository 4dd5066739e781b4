"""Sliding-window rate limits on the ``limits`` package: the decision and the limiter.

Each identity (``key:<id>``, or ``address:<ip>`` without a key) may make ``limit`` requests in
any ``window_seconds``, counted by ``limits``' sliding-window counter: the requests of the
current fixed window plus those of the previous one, weighted by how much of the previous
window the sliding window still covers. A client that spends its limit at the end of one
window finds it still spent at the start of the next (at most one more request is allowed
there, from rounding the weighted count down), where a fixed window would grant the whole
limit again: twice the limit within seconds. The weighting assumes the previous window's
requests were spread evenly, so a steady client gets exactly the limit, and a bursty one at
most the limit in any burst. Two counters an identity, in this process's memory or in Redis
(see :mod:`app.rate_limits.storage`).

The limiter fails open. Memory cannot fail; Redis can, and availability of the API comes
before the limit: a call that fails or takes longer than the timeout lets its request through
uncounted (no ``RateLimit-*`` headers). A single failure changes nothing else, since on a
machine busy enough to stall the event loop one slow reply says more about the machine than
about Redis. After ``FAILURES_BEFORE_PAUSE`` failures in a row the worker stops asking Redis
for ``PAUSE_SECONDS``, so that a Redis that is down or black-holed costs one timeout per pause
rather than one per request, and logs one warning a window at most.
"""

import logging
import time
from collections.abc import Awaitable, Callable
from math import ceil, floor
from typing import NamedTuple, Protocol, runtime_checkable

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import SlidingWindowCounterSupport, Storage

from app.core.logging import Throttle

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
FAILURES_BEFORE_PAUSE = 3
PAUSE_SECONDS = 5.0


Window = tuple[int, float, int, float]
"""A sliding window as ``limits`` reads it: the previous fixed window's count and time to live,
then the current one's (a counter lives two windows from its first hit)."""


@runtime_checkable
class CountsInOnePass(Protocol):
    """A store that counts a hit and reads its window in one synchronous call, in place of the
    strategy's two async calls (:class:`app.rate_limits.storage.MemoryWindows`); it cannot fail."""

    def hit_sliding_window(self, key: str, limit: int, expiry: int) -> tuple[bool, Window]: ...


class RateLimitDecision(NamedTuple):
    """One request's outcome, which the middleware turns into ``RateLimit-*`` headers.

    ``reset_seconds`` is the whole seconds until the count next goes down far enough to allow
    another request (at least 1): ``RateLimit-Reset`` and, when the request is refused,
    ``Retry-After``. A named tuple, not a frozen dataclass: one is made on every request, and it
    is several times cheaper.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", b"%d" % self.limit),
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % self.reset_seconds),
        ]


class _LimitKeys(NamedTuple):
    """A limit's counter key for an identity is ``prefix + identity + suffix``: ``limits``' own
    key (``RateLimitItem.key_for``), which Redis shares with every worker, made by
    concatenation rather than by its join of each part made a string again on every request
    (that took a fifth of a hit in memory)."""

    prefix: str
    suffix: str
    expiry: int

    @classmethod
    def of(cls, item: RateLimitItem) -> "_LimitKeys":
        prefix = f"{item.namespace}/"
        suffix = item.key_for("").removeprefix(prefix)
        return cls(prefix, suffix, item.get_expiry())


class RateLimiter:
    def __init__(
        self,
        storage: Storage,
        *,
        window_seconds: int = WINDOW_SECONDS,
        close: Callable[[], Awaitable[object]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``storage`` is a ``limits`` async storage and ``close`` releases what it holds (see
        :mod:`app.rate_limits.storage`); ``clock`` is the wall clock ``limits`` itself reads."""
        if not isinstance(storage, SlidingWindowCounterSupport):
            raise TypeError(f"{type(storage).__name__} keeps no sliding windows")
        self._storage = storage
        self._in_one_pass = storage if isinstance(storage, CountsInOnePass) else None
        self._window_seconds = window_seconds
        self._close = close
        self._clock = clock
        self._limit_keys: dict[int, _LimitKeys] = {}
        base = storage.base_exceptions
        self._storage_errors: tuple[type[Exception], ...] = (
            *(base if isinstance(base, tuple) else (base,)),
            OSError,
        )
        self._failures = 0
        self._paused_until = float("-inf")
        self._warning = Throttle(window_seconds, clock=clock)

    async def hit(self, identity: str, limit: int) -> RateLimitDecision | None:
        """Count one request by ``identity``; None when the count is unknown (the shared store
        failed, or is paused after failing), in which case the request is allowed."""
        # What limits' sliding-window strategy does for a hit, with the key made once for both
        # calls.
        keys = self._limit_keys.get(limit) or self._new_keys(limit)
        key, expiry = keys.prefix + identity + keys.suffix, keys.expiry
        if self._in_one_pass is not None:
            allowed, window = self._in_one_pass.hit_sliding_window(key, limit, expiry)
        else:
            if self._clock() < self._paused_until:
                return None
            try:
                allowed = await self._storage.acquire_sliding_window_entry(key, limit, expiry)
                window = await self._storage.get_sliding_window(key, expiry)
            except self._storage_errors as exc:
                self._failed(exc)
                return None
            self._failures = 0
        remaining, reset = _remaining_and_reset(limit, expiry, *window)
        return RateLimitDecision(allowed, limit, remaining, reset)

    def _new_keys(self, limit: int) -> _LimitKeys:
        keys = self._limit_keys[limit] = _LimitKeys.of(
            RateLimitItemPerSecond(limit, self._window_seconds)
        )
        return keys

    def _failed(self, exc: Exception) -> None:
        self._failures += 1
        if self._failures < FAILURES_BEFORE_PAUSE:
            return
        self._paused_until = self._clock() + PAUSE_SECONDS
        if self._warning.ready():
            # The error's class only: its text could carry a key name.
            logger.warning(
                "rate limiting is off for %.0f s: its store failed %d times in a row (%s); "
                "allowing requests uncounted",
                PAUSE_SECONDS,
                self._failures,
                type(exc).__name__,
            )

    async def aclose(self) -> None:
        await self._close()


def _remaining_and_reset(
    limit: int,
    window_seconds: int,
    previous_count: int,
    previous_expires_in: float,
    current_count: int,
    current_expires_in: float,
) -> tuple[int, int]:
    """What ``limits``' window stats say, from the window's counts and their times to live,
    with one correction. Its reset is the sooner of the next whole request the previous
    window's weighted count sheds and the current window's end, which it takes as the current
    counter's time to live modulo the window; that counter lives two windows from its first
    hit, so at exactly two windows the modulo is 0, not a whole window, and a refused client
    would be told to retry in 1 s rather than 60. Redis gives times to live in whole
    milliseconds, so that is every read in the millisecond of a window's first hit; the memory
    store, every read at a window's first instant. The times to live are durations: no clock
    is read, so nothing depends on two clocks agreeing."""
    remaining = limit - floor(previous_count * previous_expires_in / window_seconds + current_count)
    if remaining < 0:
        remaining = 0
    # Branches rather than a list of candidates, or min() and max(): this runs on every request.
    if current_count:
        reset = current_expires_in - window_seconds
        if previous_count:
            previous_sheds_in = previous_expires_in % (window_seconds / previous_count)
            if previous_sheds_in < reset:
                reset = previous_sheds_in
    elif previous_count:
        reset = previous_expires_in % (window_seconds / previous_count)
    else:
        return remaining, 1
    whole = ceil(reset)
    return remaining, whole if whole > 0 else 1
