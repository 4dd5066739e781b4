"""The pure-ASGI rate-limit layer: counts anonymous requests per client address, refuses them
with a problem+json 429 beyond the limit, and puts ``RateLimit-*`` headers on every counted
response, whoever counted it.

Paths under the authenticated prefixes are counted by authentication instead (per key, or per
address when it fails; see :func:`app.rate_limits.enforce.enforce_rate_limit`), which records
its decision in the request state; this layer turns that decision into headers. A request
there that authentication never saw (no route matched, a method not allowed) is
counted against the address when its response starts, and refused then if over the limit, so
no path escapes counting. The probes are exempt: an orchestrator must never be refused.

It runs within the request context (:class:`app.http.middleware.RequestContextMiddleware`),
which adds an anonymous request's headers to its response (``add_response_headers``).
"""

import ipaddress
from collections.abc import Awaitable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import TooManyRequests
from app.http.middleware import add_response_headers, send_problem
from app.rate_limits.limiter import RateLimitDecision, RateLimiter

EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
STATE_KEY = "rate_limit"


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        limit_per_minute: int,
        authenticated_prefixes: tuple[str, ...],
    ) -> None:
        self.app = app
        self._limiter = limiter
        self._limit = limit_per_minute
        self._authenticated_prefixes = authenticated_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(self._authenticated_prefixes):
            state = scope.setdefault("state", {})
            await self.app(scope, receive, self._with_rate_limit_headers(scope, state, send))
            return
        decision = await self._hit_address(scope)
        if decision is None:  # the shared store failed: allowed, uncounted, no headers
            await self.app(scope, receive, send)
        elif decision.allowed:
            add_response_headers(scope, decision.headers())
            await self.app(scope, receive, send)
        else:
            await _send_too_many_requests(scope, send, decision)

    def _hit_address(self, scope: Scope) -> Awaitable[RateLimitDecision | None]:
        # The limiter's own coroutine, not one more around it: this runs on every request.
        return self._limiter.hit(address_identity(scope), self._limit)

    def _with_rate_limit_headers(self, scope: Scope, state: dict[str, object], send: Send) -> Send:
        replaced = False

        async def send_with_headers(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                if STATE_KEY not in state:  # nobody counted it: count it against the address
                    decision = state[STATE_KEY] = await self._hit_address(scope)
                    if decision is not None and not decision.allowed:
                        replaced = True
                        await _send_too_many_requests(scope, send, decision)
                        return
                counted = state[STATE_KEY]
                if isinstance(counted, RateLimitDecision):
                    # A new list: the start message's own list may be shared (cached replays).
                    message["headers"] = [*message["headers"], *counted.headers()]
            elif replaced:
                return  # the body of the response the 429 replaced
            await send(message)

        return send_with_headers


def address_identity(scope: Scope) -> str:
    """``address:<client address>``; an IPv6 client by its /64 network, which one subscriber
    usually holds whole (RFC 6177), so hopping between its addresses gains nothing and cannot
    fill the limiter's memory."""
    client = scope.get("client")
    host = str(client[0]) if client else "unknown"
    if ":" in host:
        try:
            host = str(ipaddress.IPv6Network((host, 64), strict=False))
        except ValueError:
            pass
    return f"address:{host}"


def too_many_requests_detail(decision: RateLimitDecision) -> str:
    """Says how long to wait, never who was limited (no key, no address)."""
    seconds = decision.reset_seconds
    return f"Rate limit reached: retry in {seconds} second{'' if seconds == 1 else 's'}."


def too_many_requests(decision: RateLimitDecision) -> TooManyRequests:
    return TooManyRequests(
        too_many_requests_detail(decision),
        headers={"Retry-After": str(decision.reset_seconds)},
    )


async def _send_too_many_requests(scope: Scope, send: Send, decision: RateLimitDecision) -> None:
    await send_problem(send, scope, too_many_requests(decision), headers=decision.headers())
