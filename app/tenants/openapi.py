"""The tenants' part of the contract: which scope each operation needs, and the 401 challenge."""

from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.http.problems import declare_problem
from app.tenants.security import SECURITY_SCHEMES, RequiredScope


def document_security(schema: dict[str, Any], routes: list[tuple[str, APIRoute]]) -> None:
    """Declare the two ways to present a key, require one on every keyed operation, name each
    operation's scope (``x-required-scope`` and its description), declare the
    ``WWW-Authenticate`` challenge on every 401, and the 503 a keyed operation answers when
    the database is down (verifying a key may read it)."""
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, route in routes:
        scope = _required_scope(route.dependant)
        if scope is None or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"][path][method.lower()]
            operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
            operation["x-required-scope"] = scope
            note = f"Needs an API key with the scope `{scope}`."
            operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
            declare_problem(operation, 503)
            operation["responses"]["401"]["headers"] = {
                "WWW-Authenticate": {
                    "description": "The authentication scheme to use.",
                    "schema": {"type": "string"},
                }
            }


def _required_scope(dependant: Dependant) -> str | None:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RequiredScope):
            return dependency.call.scope.value
        found = _required_scope(dependency)
        if found is not None:
            return found
    return None
