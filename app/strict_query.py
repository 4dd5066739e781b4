"""Reject query parameters a route does not declare.

FastAPI ignores unknown query parameters; a misspelt filter (``?categroy=strength``) would then
silently return everything. This app-wide dependency compares the request's parameter names
with those the matched route declares and answers 422 naming the strays.
"""

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.errors import UnprocessableContent

_allowed_by_route: dict[int, frozenset[str]] = {}


async def reject_unknown_query_params(request: Request) -> None:
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = _allowed_by_route.get(id(route))
    if allowed is None:
        allowed = _allowed_by_route[id(route)] = _declared_query_names(route.dependant)
    unknown = sorted(set(request.query_params.keys()) - allowed)
    if unknown:
        raise UnprocessableContent(
            f"Unknown query parameter(s): {', '.join(unknown)}.",
            errors=[
                {
                    "loc": ["query", name],
                    "msg": "Unknown query parameter",
                    "type": "extra_forbidden",
                }
                for name in unknown
            ],
        )


def _declared_query_names(dependant: Dependant) -> frozenset[str]:
    """Query parameter names of the route and all its sub-dependencies, models expanded."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        pending.extend(current.dependencies)
        for field in current.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names.update(info.alias or name for name, info in annotation.model_fields.items())
            else:
                names.add(field.alias)
    return frozenset(names)
