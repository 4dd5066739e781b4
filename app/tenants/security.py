"""Authentication and scopes, checked by the route before FastAPI solves anything.

A key is sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; both are declared as
security schemes, so /docs can authorise. Every failure (no key, malformed, unknown, wrong,
revoked, expired) is the same 401, so a caller learns nothing about which keys exist. So is a
request that sends more than one credential header (two ``X-API-Key``, two ``Authorization``,
or one of each): which of them counts would be a guess, and a proxy that adds or merges
headers must not decide whose request it is. Failed attempts count against the client
address's rate limit, which bounds guessing.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from app.core.db import Reads
from app.core.errors import Forbidden, Unauthorized
from app.http.dependencies import reads_of
from app.rate_limits import address_identity, enforce_rate_limit
from app.tenants import service
from app.tenants.keys import MAX_KEY_LENGTH, Scope, key_digest
from app.tenants.schemas import Principal
from app.tenants.verified_keys import VerifiedKeys

# The two ways to present a key, as the contract declares them (app.tenants.openapi puts them
# in components.securitySchemes and on every keyed operation). They are read here from the
# header fields directly rather than through FastAPI's HTTPBearer and APIKeyHeader
# dependencies: two dependencies fewer to solve on every keyed request, for the same answer.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "hs_live_… API key",
        "description": "`Authorization: Bearer <API key>`.",
    },
    "api_key": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "`X-API-Key: <API key>` (the same key, for clients that cannot set Bearer).",
    },
}

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hipspine"'}


def _unauthorized() -> Unauthorized:
    return Unauthorized(
        "A valid API key is required: send it as `Authorization: Bearer <key>` or `X-API-Key`.",
        headers=CHALLENGE,
    )


# Where the route leaves the caller's principal for the operation (principal_of).
_PRINCIPAL = "hipspine.principal"


async def _authenticate(request: Request, reads: Reads) -> Principal:
    settings = request.app.state.settings
    principal = None
    key = _presented_key(request)
    if key and len(key) <= MAX_KEY_LENGTH:
        principal = await _verified(request, reads, key)
    if principal is None:
        await enforce_rate_limit(
            request, address_identity(request.scope), settings.anonymous_rate_limit_per_minute
        )
        raise _unauthorized()
    await enforce_rate_limit(request, f"key:{principal.key_id}", settings.rate_limit_per_minute)
    return principal


async def _verified(request: Request, reads: Reads, key: str) -> Principal | None:
    """The key's principal: from the keys this worker verified in the last
    ``API_KEY_CACHE_SECONDS``, else from the database (and then kept)."""
    secret: bytes = request.app.state.key_secret
    verified: VerifiedKeys = request.app.state.verified_keys
    digest = key_digest(secret, key)
    principal = verified.get(digest)
    if principal is None:
        principal = await service.verify_key(reads, key, secret=secret)
        if principal is not None:
            verified.put(digest, principal)
    return principal


_CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key"})


def _presented_key(request: Request) -> str | None:
    """The key in the one header field that could carry one (whatever its scheme or value):
    ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. None when there is no such field,
    more than one, or another ``Authorization`` scheme."""
    fields = [
        (name, value) for name, value in request.scope["headers"] if name in _CREDENTIAL_HEADERS
    ]
    if len(fields) != 1:
        return None
    name, raw = fields[0]
    value = raw.decode("latin-1")  # as Starlette decodes header values
    if name == b"x-api-key":
        return value or None
    scheme, _, credentials = value.partition(" ")
    credentials = credentials.strip()  # as HTTPBearer reads it
    return credentials if scheme.lower() == "bearer" and credentials else None


REQUIRED_SCOPE = "x-required-scope"
"""Where a keyed operation names its scope: its ``openapi_extra`` (see :func:`needs`), so the
contract shows what :class:`KeyedRoute` enforces."""


def needs(scope: Scope, **operation: Any) -> dict[str, Any]:
    """The ``openapi_extra`` of a keyed operation: the scope its key must carry, beside the
    operation's other extra fields (its request body, say)."""
    return {REQUIRED_SCOPE: scope.value, **operation}


class KeyedRoute(APIRoute):
    """A route whose operation needs an API key carrying the scope it names (:func:`needs`).

    The key is verified, counted against its rate limit and its scope checked before FastAPI
    reads the body or solves a parameter or dependency: 401, then 403, then the operation's
    own errors, so a caller without access learns nothing from how its input is judged. Not a
    dependency: each dependency FastAPI solves costs every request tens of microseconds (a
    keyed patient read took 14% less CPU without this one), and this runs on every keyed
    request. The operation and its dependencies read the caller with :func:`principal_of`.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        scope = _declared_scope(self)

        async def handle_authorised(request: Request) -> Response:
            await _require(request, scope)
            return await handle(request)

        return handle_authorised


def principal_of(request: Request) -> Principal:
    """The caller its :class:`KeyedRoute` authenticated. A plain function, not a dependency,
    for the same reason the route is not one."""
    principal: Principal | None = request.scope.get("state", {}).get(_PRINCIPAL)
    if principal is None:
        raise RuntimeError(f"{request.scope['path']} is not served by a KeyedRoute")
    return principal


def declared_scope(operation: dict[str, Any] | None) -> Scope | None:
    """The scope an operation's ``openapi_extra`` names, if any."""
    value = (operation or {}).get(REQUIRED_SCOPE)
    return None if value is None else Scope(value)


def _declared_scope(route: APIRoute) -> Scope:
    scope = declared_scope(route.openapi_extra)
    if scope is None:
        raise TypeError(f"{route.path}: a keyed route names its scope (openapi_extra=needs(...))")
    return scope


async def _require(request: Request, scope: Scope) -> None:
    """A 401 without a valid key, a 403 when it lacks ``scope``; else the principal is left for
    :func:`principal_of`."""
    principal = await _authenticate(request, reads_of(request))
    if scope not in principal.scopes:
        raise Forbidden(
            f"This key lacks the scope '{scope.value}' that this operation needs.",
            extensions={"required_scope": scope.value},
        )
    request.scope.setdefault("state", {})[_PRINCIPAL] = principal
