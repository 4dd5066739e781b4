"""Per-key rate limiting, called by authentication once it knows who is calling."""

from fastapi import Request

from app.rate_limits.limiter import RateLimiter
from app.rate_limits.middleware import STATE_KEY, too_many_requests


async def enforce_rate_limit(request: Request, identity: str, limit_per_minute: int) -> None:
    """Count one request by ``identity`` (``key:<key_id>``, or the address identity for a failed
    authentication) and raise a 429 beyond ``limit_per_minute``.

    The decision goes into the request state whatever it is, so the middleware knows the
    request was counted and puts the ``RateLimit-*`` headers on the response that follows,
    success or error. When the shared store fails the limiter allows the request, and there
    are no headers to add.
    """
    limiter: RateLimiter = request.app.state.rate_limiter
    decision = request.scope.setdefault("state", {})[STATE_KEY] = await limiter.hit(
        identity, limit_per_minute
    )
    if decision is not None and not decision.allowed:
        raise too_many_requests(decision)
