"""Fixed-window counting shared through Redis, so every worker and replica enforces one limit."""

import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.rate_limits.limiter import WINDOW_SECONDS, RateLimitDecision, decide

logger = logging.getLogger(__name__)

KEY_PREFIX = "hipspine:ratelimit:"

# One round trip, atomic: count the request, start the window's expiry on its first request
# (or if the key somehow lost its expiry, so no counter outlives its window), and return the
# count with the milliseconds left. Redis expires the key itself when the window ends.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

# After a failure, skip Redis this long: a Redis that is down or black-holed then costs one
# timeout per second per worker rather than one on every request.
_PAUSE_AFTER_FAILURE_SECONDS = 1.0


class RedisRateLimiter:
    """Counts in Redis under ``hipspine:ratelimit:<identity>``; the window's clock is the key's
    expiry in Redis, so workers' clocks need not agree.

    Fails open: when Redis cannot be reached or errors, the request is allowed uncounted (no
    ``RateLimit-*`` headers), Redis is left alone for a second, and one warning is logged per
    window at most, naming neither keys nor addresses. Availability of the API is put before
    the limit; short socket timeouts and no retries bound the delay a failure adds.
    """

    def __init__(
        self,
        url: str,
        *,
        window_seconds: float = WINDOW_SECONDS,
        timeout_seconds: float = 0.25,
        key_prefix: str = KEY_PREFIX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 0),
        )
        self._script = self._redis.register_script(_HIT_SCRIPT)
        self._window_ms = round(window_seconds * 1000)
        self._window_seconds = window_seconds
        self._key_prefix = key_prefix
        self._clock = clock
        self._paused_until = float("-inf")
        self._next_warning_at = float("-inf")

    async def hit(self, identity: str, limit: int) -> RateLimitDecision | None:
        now = self._clock()
        if now < self._paused_until:
            return None
        try:
            count, ttl_ms = await self._script(
                keys=[self._key_prefix + identity], args=[self._window_ms]
            )
        except (RedisError, OSError) as exc:
            self._failed(now, exc)
            return None
        return decide(limit, int(count), int(ttl_ms) / 1000)

    def _failed(self, now: float, exc: Exception) -> None:
        self._paused_until = now + _PAUSE_AFTER_FAILURE_SECONDS
        if now >= self._next_warning_at:
            self._next_warning_at = now + self._window_seconds
            # The error's class only: its text could carry a key name.
            logger.warning(
                "rate limiting is off: Redis is unreachable or failing (%s); allowing requests",
                type(exc).__name__,
            )

    async def aclose(self) -> None:
        await self._redis.aclose()
