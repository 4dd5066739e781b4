"""Rate limits per API key, and per client address for anonymous calls.

:func:`install_rate_limits` wires the limiter and its middleware into the app;
:func:`enforce_rate_limit` counts authenticated calls per key (:func:`address_identity`
names an anonymous caller);
:func:`app.rate_limits.openapi.document_rate_limits` declares the 429 and the headers.
"""

from fastapi import FastAPI

from app.core.config import Settings
from app.rate_limits.enforce import enforce_rate_limit
from app.rate_limits.middleware import RateLimitMiddleware, address_identity
from app.rate_limits.storage import memory_limiter, redis_limiter

__all__ = ["address_identity", "enforce_rate_limit", "install_rate_limits"]


def install_rate_limits(
    app: FastAPI, settings: Settings, *, authenticated_prefixes: tuple[str, ...]
) -> None:
    """Store the limiter at ``app.state.rate_limiter`` (shared through Redis when
    ``settings.redis_url`` is set, else in this process's memory) and add the middleware.

    The lifespan must ``await app.state.rate_limiter.aclose()`` at shutdown.
    """
    limiter = (
        redis_limiter(settings.redis_url, timeout_seconds=settings.redis_timeout_seconds)
        if settings.redis_url
        else memory_limiter()
    )
    app.state.rate_limiter = limiter
    app.add_middleware(
        RateLimitMiddleware,
        limiter=limiter,
        limit_per_minute=settings.anonymous_rate_limit_per_minute,
        authenticated_prefixes=authenticated_prefixes,
    )
