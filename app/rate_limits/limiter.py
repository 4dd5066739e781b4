"""Fixed-window request counting: the decision type, the limiter protocol, the in-memory limiter.

Each identity (``key:<id>`` or ``address:<ip>``) gets a one-minute window that starts at its
first request; every request in the window counts, and the window ends sixty seconds later
whatever happened inside it. The trade-off, accepted for its cost (one counter per identity,
one atomic increment in Redis): a client can send up to twice the limit across a window
boundary, ``limit`` at the end of one window and ``limit`` at the start of the next. A sliding
window would bound that, at the price of more state and arithmetic on every request.
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple, Protocol

WINDOW_SECONDS = 60.0


class RateLimitDecision(NamedTuple):
    """One request's outcome, which the middleware turns into ``RateLimit-*`` headers.

    ``reset_seconds`` is the whole seconds until the window ends (at least 1):
    ``RateLimit-Reset`` and, when the request is refused, ``Retry-After``. A named tuple, not
    a frozen dataclass: one is made on every request, and it is several times cheaper.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]


def decide(limit: int, count: int, seconds_left: float) -> RateLimitDecision:
    """The decision for the ``count``-th request of a window with ``seconds_left`` to run."""
    # Conditionals rather than max(): this runs on every request, and they are cheaper.
    remaining = limit - count
    reset = math.ceil(seconds_left)
    return RateLimitDecision(
        count <= limit, limit, remaining if remaining > 0 else 0, reset if reset > 0 else 1
    )


class RateLimiter(Protocol):
    async def hit(self, identity: str, limit: int) -> RateLimitDecision | None:
        """Count one request by ``identity``; None when the count is unknown (a shared store
        that cannot be reached), in which case the request is allowed."""

    async def aclose(self) -> None: ...


class _Window:
    __slots__ = ("count", "ends_at")

    def __init__(self, ends_at: float) -> None:
        self.ends_at = ends_at
        self.count = 0


class MemoryRateLimiter:
    """Counts in this process's memory: exact for one worker, per worker when there are several
    (each enforces the limit on its own share, so N workers allow up to N times the limit).

    ``hit`` never awaits, so on the event loop the read-increment-write cannot interleave with
    another request's. Memory is bounded: windows are kept in the order they started, which,
    all being the same length on a monotonic clock, is the order they end; starting a window
    drops the ended ones from the front, and beyond ``max_identities`` live windows the oldest
    is forgotten (that identity starts afresh, which errs towards allowing).
    """

    def __init__(
        self,
        *,
        window_seconds: float = WINDOW_SECONDS,
        max_identities: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window_seconds = window_seconds
        self._max_identities = max_identities
        self._clock = clock
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    async def hit(self, identity: str, limit: int) -> RateLimitDecision:
        now = self._clock()
        window = self._windows.get(identity)
        if window is None or window.ends_at <= now:
            window = self._start_window(identity, now)
        window.count += 1
        return decide(limit, window.count, window.ends_at - now)

    def _start_window(self, identity: str, now: float) -> _Window:
        windows = self._windows
        windows.pop(identity, None)
        # Bounded: each pass removes an entry, and there are at most max_identities of them.
        while windows and (
            len(windows) >= self._max_identities or next(iter(windows.values())).ends_at <= now
        ):
            windows.popitem(last=False)
        window = windows[identity] = _Window(now + self._window_seconds)
        return window

    async def aclose(self) -> None:
        self._windows.clear()
