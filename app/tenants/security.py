"""Authentication and scopes as FastAPI dependencies.

A key is sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; both are declared as
security schemes, so /docs can authorise. Every failure (no key, malformed, unknown, wrong,
revoked, expired) is the same 401, so a caller learns nothing about which keys exist. So is a
request that sends more than one credential header (two ``X-API-Key``, two ``Authorization``,
or one of each): which of them counts would be a guess, and a proxy that adds or merges
headers must not decide whose request it is. Failed attempts count against the client
address's rate limit, which bounds guessing.
"""

from typing import Annotated

from fastapi import Depends, Request

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


async def authenticated(request: Request, reads: Reads) -> Principal:
    """The caller's principal, or a 401. Verified, and counted against its rate limit, once a
    request, however many scopes the route checks."""
    state = request.scope.setdefault("state", {})
    known: Principal | None = state.get(_PRINCIPAL)
    if known is not None:
        return known
    state[_PRINCIPAL] = principal = await _authenticate(request, reads)
    return principal


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


class RequiredScope:
    """Dependency: the caller's principal, when its key carries ``scope``; 403 naming it
    otherwise. The OpenAPI document lists each operation's scope from these. (It authenticates
    itself rather than depending on a dependency that does: every dependency FastAPI solves
    costs each keyed request measurable time.)"""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def __call__(self, request: Request) -> Principal:
        principal = await authenticated(request, reads_of(request))
        if self.scope not in principal.scopes:
            raise Forbidden(
                f"This key lacks the scope '{self.scope.value}' that this operation needs.",
                extensions={"required_scope": self.scope.value},
            )
        return principal


# One instance per scope, so a route and its id-resolving dependencies share one check.
REQUIREMENTS = {scope: RequiredScope(scope) for scope in Scope}

ReadPatients = Annotated[Principal, Depends(REQUIREMENTS[Scope.patients_read])]
WritePatients = Annotated[Principal, Depends(REQUIREMENTS[Scope.patients_write])]
WriteAssessments = Annotated[Principal, Depends(REQUIREMENTS[Scope.assessments_write])]
WritePlans = Annotated[Principal, Depends(REQUIREMENTS[Scope.plans_write])]
WriteLogs = Annotated[Principal, Depends(REQUIREMENTS[Scope.logs_write])]
