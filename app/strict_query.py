"""Reject query parameters a route does not declare.

FastAPI ignores unknown query parameters; a misspelt filter (``?categroy=strength``) would then
silently return everything. A parameter given twice is refused too, rather than one value kept.
:class:`StrictQueryRoute` knows each route's declared parameter names
(computed once, when the route is built) and answers 422 naming the strays before the endpoint
runs. A route class rather than an app-wide dependency: dependency resolution on every request
costs more than the check itself.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.errors import UnprocessableContent
from app.query_params import QueryParser, reject_repeated

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class StrictQueryRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        allowed = _declared_query_names(self.dependant)

        async def reject_unknown_query_params(request: Request) -> Response:
            if request.scope["query_string"]:
                unknown = sorted(set(request.query_params.keys()) - allowed)
                if unknown:
                    raise _unknown(unknown)
                reject_repeated(request.query_params.multi_items())
            return await handler(request)

        return reject_unknown_query_params


def _unknown(names: list[str]) -> UnprocessableContent:
    return UnprocessableContent(
        f"Unknown query parameter(s): {', '.join(names)}.",
        errors=[
            {"loc": ["query", name], "msg": "Unknown query parameter", "type": "extra_forbidden"}
            for name in names
        ],
    )


def _declared_query_names(dependant: Dependant) -> frozenset[str]:
    """Query parameter names of the route and all its sub-dependencies, models expanded."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        pending.extend(current.dependencies)
        if isinstance(current.call, QueryParser):
            names.update(_model_query_names(current.call.model))
        for field in current.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names.update(_model_query_names(annotation))
            else:
                names.add(field.alias)
    return frozenset(names)


def _model_query_names(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}
