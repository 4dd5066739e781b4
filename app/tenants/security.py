"""Authentication and scopes as FastAPI dependencies.

A key is sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; both are declared as
security schemes, so /docs can authorise. Every failure (no key, malformed, unknown, wrong,
revoked, expired) is the same 401, so a caller learns nothing about which keys exist. Failed
attempts count against the client address's rate limit, which bounds guessing.
"""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.core.errors import Forbidden, Unauthorized
from app.http.dependencies import SessionDep
from app.rate_limits.enforce import enforce_rate_limit
from app.tenants import service
from app.tenants.keys import MAX_KEY_LENGTH, Scope
from app.tenants.schemas import Principal

bearer_scheme = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="hs_live_… API key",
    description="`Authorization: Bearer <API key>`.",
    auto_error=False,
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    scheme_name="api_key",
    description="`X-API-Key: <API key>` (the same key, for clients that cannot set Bearer).",
    auto_error=False,
)

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hipspine"'}


def _unauthorized() -> Unauthorized:
    return Unauthorized(
        "A valid API key is required: send it as `Authorization: Bearer <key>` or `X-API-Key`.",
        headers=CHALLENGE,
    )


async def authenticated(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    header_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    presented = {value for value in (bearer and bearer.credentials, header_key) if value}
    settings = request.app.state.settings
    principal = None
    if len(presented) == 1:
        key = presented.pop()
        if len(key) <= MAX_KEY_LENGTH:
            principal = await run_in_threadpool(
                service.authenticate, session, key, secret=request.app.state.key_secret
            )
    if principal is None:
        await enforce_rate_limit(
            request, f"address:{_client_address(request)}", settings.anonymous_rate_limit_per_minute
        )
        raise _unauthorized()
    await enforce_rate_limit(request, f"key:{principal.key_id}", settings.rate_limit_per_minute)
    return principal


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class RequiredScope:
    """Dependency: the caller's principal, when its key carries ``scope``; 403 naming it
    otherwise. The OpenAPI document lists each operation's scope from these."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def __call__(self, principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
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
ExportPatients = Annotated[Principal, Depends(REQUIREMENTS[Scope.patients_export])]
