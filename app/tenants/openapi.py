"""The tenants' part of the contract: which scope each operation needs, and the 401 challenge."""

from typing import Any

from fastapi.routing import APIRoute

from app.http.problems import declare_problem
from app.tenants.security import SECURITY_SCHEMES, KeyedRoute, declared_scope


def document_security(schema: dict[str, Any], routes: list[tuple[str, APIRoute]]) -> None:
    """Declare the two ways to present a key, require one on every keyed operation, name each
    operation's scope in its description (its ``x-required-scope`` is the route's own
    ``openapi_extra``), refuse a route that names a scope without checking it, declare the
    ``WWW-Authenticate`` challenge on every 401, and the 503 a keyed operation answers when
    the database is down (verifying a key may read it)."""
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, route in routes:
        scope = declared_scope(route.openapi_extra)
        if scope is None or not route.include_in_schema:
            continue
        if not isinstance(route, KeyedRoute):  # documented as keyed, checked by nothing
            raise TypeError(f"{path} names a scope but is not a KeyedRoute")
        for method in route.methods or ():
            operation = schema["paths"][path][method.lower()]  # x-required-scope is there
            operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
            note = f"Needs an API key with the scope `{scope.value}`."
            operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
            declare_problem(operation, 503)
            operation["responses"]["401"]["headers"] = {
                "WWW-Authenticate": {
                    "description": "The authentication scheme to use.",
                    "schema": {"type": "string"},
                }
            }
