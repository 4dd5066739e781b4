"""The pure-ASGI rate-limit layer: counts anonymous requests per client address, refuses them
with a problem+json 429 beyond the limit, and puts ``RateLimit-*`` headers on every counted
response, whoever counted it.

Paths under the authenticated prefixes are counted by the auth dependency instead (per key, or
per address when authentication fails; see :func:`app.rate_limits.enforce.enforce_rate_limit`),
which records its decision in the request state; this layer only turns that decision into
headers. The probes are exempt: an orchestrator must never be refused.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import TooManyRequests
from app.http.middleware import send_problem
from app.http.problems import problem_body
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
        state = scope.setdefault("state", {})
        if not scope["path"].startswith(self._authenticated_prefixes):
            decision = await self._limiter.hit(f"address:{_client_address(scope)}", self._limit)
            if decision is not None:
                state[STATE_KEY] = decision
                if not decision.allowed:
                    await _send_too_many_requests(scope, send, decision)
                    return
        await self.app(scope, receive, _with_rate_limit_headers(state, send))


def _client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _with_rate_limit_headers(state: dict[str, object], send: Send) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            decision = state.get(STATE_KEY)
            if isinstance(decision, RateLimitDecision):
                # A new list: the start message's own list may be shared (cached replays).
                message["headers"] = [*message["headers"], *decision.headers()]
        await send(message)

    return send_with_headers


def too_many_requests_detail(decision: RateLimitDecision) -> str:
    """Says how long to wait, never who was limited (no key, no address)."""
    seconds = decision.reset_seconds
    return f"Rate limit reached: retry in {seconds} second{'' if seconds == 1 else 's'}."


async def _send_too_many_requests(scope: Scope, send: Send, decision: RateLimitDecision) -> None:
    await send_problem(
        send,
        problem_body(
            status=TooManyRequests.status,
            code=TooManyRequests.code,
            title=TooManyRequests.title,
            detail=too_many_requests_detail(decision),
            instance=scope["path"],
            request_id=scope["state"].get("request_id", ""),
        ),
        headers=[(b"retry-after", str(decision.reset_seconds).encode()), *decision.headers()],
    )
