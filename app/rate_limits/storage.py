"""Where the counts live: this process's memory, or Redis shared by every worker and replica.

Both are ``limits`` storages; what is ours is how they are set up. In memory, each worker
enforces the limit on its own share of the traffic (N workers allow up to N times the limit).
In Redis, counters live under ``hipspine:ratelimit:`` and expire by themselves; the windows'
clock is their expiry in Redis, so the workers' clocks need not agree.
"""

import time
from collections.abc import Callable
from math import floor
from typing import Any

from limits.aio.storage import MemoryStorage, RedisStorage
from redis.asyncio import ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from app.rate_limits.limiter import WINDOW_SECONDS, RateLimiter, Window

KEY_PREFIX = "hipspine:ratelimit"
SWEEP_EVERY_SECONDS = 5.0


def memory_limiter(
    *, window_seconds: int = WINDOW_SECONDS, clock: Callable[[], float] = time.time
) -> RateLimiter:
    storage = MemoryWindows(clock=clock)
    return RateLimiter(storage, window_seconds=window_seconds, close=storage.reset, clock=clock)


def redis_limiter(
    url: str,
    *,
    timeout_seconds: float,
    key_prefix: str = KEY_PREFIX,
    window_seconds: int = WINDOW_SECONDS,
    clock: Callable[[], float] = time.time,
) -> RateLimiter:
    """Counts in Redis at ``url``. Each call may take ``timeout_seconds`` to connect and as long
    to answer, and is never retried: a retry would only add to the delay the failure costs
    (see :mod:`app.rate_limits.limiter` for what a failure does)."""
    pool = ConnectionPool.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 0),
    )
    # A dict, as the pool is not one of the scalar options the signature names.
    options: dict[str, Any] = {"connection_pool": pool}
    storage = RedisStorage(
        f"async+{url}", implementation="redispy", key_prefix=key_prefix, **options
    )
    return RateLimiter(storage, window_seconds=window_seconds, close=pool.aclose, clock=clock)


class MemoryWindows(MemoryStorage):
    """``limits``' memory storage, with a hit counted and its window read in one synchronous
    pass (:meth:`hit_sliding_window`). ``limits``' sliding-window strategy makes two async
    calls for that (``acquire_sliding_window_entry``, then ``get_sliding_window``), and upstream
    (limits 5.8) awaits four to six more of the storage's own coroutines within them (reads, an
    increment under a lock, a sweep), each in its error wrapper, reading the clock and making
    the window's keys each time. The counters, their keys, expiries and weighting are
    upstream's, and so are the decisions (tests/rate_limits/test_storage.py compares them).
    Measured: a hit and its window took 8.6 µs upstream and 4.8 µs with this.

    Nothing here awaits, so on one event loop two requests' hits cannot interleave: upstream's
    per-key lock is not needed. Expired counters are ignored as they are read and swept out of
    memory at most every ``SWEEP_EVERY_SECONDS``, not after every increment: upstream's sweep
    after each increment cost time in proportion to the clients seen in the last two windows
    (measured: a hit and its window took 0.03 ms with one client, 0.2 ms with 1,000, 1.6 ms
    with 10,000).
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._clock = clock
        self._next_sweep_at = float("-inf")
        # The previous and current window's numbers and their keys' suffixes (``/<number>``),
        # made once a window rather than on every hit.
        self._windows = (-1, -1, "", "")

    def hit_sliding_window(self, key: str, limit: int, expiry: int) -> tuple[bool, Window]:
        """Count one hit on ``key`` unless the weighted count has reached ``limit``: whether it
        was counted, and the window after it (see :class:`~app.rate_limits.limiter.Window`)."""
        now = self._clock()
        if now >= self._next_sweep_at:
            self._sweep(now)
        # Upstream's window keys (``sliding_window_keys``), made here: the call was a tenth of
        # a hit.
        # Where the previous and the current instant fall, in windows: upstream's expressions,
        # each worked out once for both the window's number and its time to live.
        previous_at, current_at = (now - expiry) / expiry, now / expiry
        previous_window, current_window = int(previous_at), int(current_at)
        windows = self._windows
        if windows[0] != previous_window or windows[1] != current_window:
            windows = self._windows = (
                previous_window,
                current_window,
                f"/{previous_window}",
                f"/{current_window}",
            )
        _, _, previous_suffix, current_suffix = windows
        previous_key, current_key = key + previous_suffix, key + current_suffix
        storage, expirations = self.storage, self.expirations
        # A counter that has expired counts 0 (the sweep forgets it).
        previous_count = storage[previous_key] if expirations.get(previous_key, now) > now else 0
        current_count = storage[current_key] if expirations.get(current_key, now) > now else 0
        previous_ttl = 0.0 if previous_count == 0 else (1 - previous_at % 1) * expiry
        current_ttl = (1 - current_at % 1) * expiry + expiry
        allowed = floor(previous_count * previous_ttl / expiry + current_count) < limit
        if allowed:
            current_count = storage[current_key] = current_count + 1
            if current_count == 1:  # a new counter lives two windows, as upstream's
                expirations[current_key] = now + 2 * expiry
        return allowed, (previous_count, previous_ttl, current_count, current_ttl)

    def _sweep(self, now: float) -> None:
        """Upstream's sweep of expired counters, without its per-key locks (nothing awaits)."""
        self._next_sweep_at = now + SWEEP_EVERY_SECONDS
        for key in [key for key, expires_at in self.expirations.items() if expires_at <= now]:
            self._forget(key)

    def _forget(self, key: str) -> None:
        self.storage.pop(key, None)
        self.expirations.pop(key, None)
