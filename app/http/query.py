"""Strict query strings.

Query-string models parsed once per distinct query string.

FastAPI re-inspects a query model's annotations on every request, which costs a third of the
catalogue list's time. A :class:`QueryParser` validates each distinct raw query string once
(bounded cache), rejects unknown and repeated parameters, and publishes the same parameters in
the OpenAPI document through ``openapi_extra``.

Reject query parameters a route does not declare.

FastAPI ignores unknown query parameters; a misspelt filter (``?categroy=strength``) would then
silently return everything. A parameter given twice is refused too, rather than one value kept.
:class:`StrictQueryRoute` knows each route's declared parameter names
(computed once, when the route is built) and answers 422 naming the strays before the endpoint
runs. A route class rather than an app-wide dependency: dependency resolution on every request
costs more than the check itself.
"""

from collections.abc import Callable, Coroutine, Sequence
from functools import lru_cache
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from app.core.errors import UnprocessableContent, field_errors

QueryModelT = TypeVar("QueryModelT", bound=BaseModel)


def reject_repeated(pairs: Sequence[tuple[str, str]]) -> None:
    """422 for a parameter given twice: no route takes lists in the query, and silently
    keeping one of the values would answer a different question than the one asked."""
    names = [name for name, _ in pairs]
    if len(set(names)) == len(names):
        return
    repeated = sorted({name for name in names if names.count(name) > 1})
    raise UnprocessableContent(
        f"Repeated query parameter(s): {', '.join(repeated)}.",
        errors=[
            {"loc": ["query", name], "msg": "Give this parameter once", "type": "repeated"}
            for name in repeated
        ],
    )


class QueryParser(Generic[QueryModelT]):
    def __init__(self, model: type[QueryModelT], *, cache_size: int = 4096) -> None:
        self.model = model
        self._parse = lru_cache(maxsize=cache_size)(self._validate)

    async def __call__(self, request: Request) -> QueryModelT:
        return self._parse(request.scope["query_string"])

    def _validate(self, raw: bytes) -> QueryModelT:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
        reject_repeated(pairs)
        params = dict(pairs)
        try:
            return self.model.model_validate(params)
        except ValidationError as error:
            errors = field_errors(error.errors(), location="query")
            raise UnprocessableContent(
                "Invalid query: " + ", ".join(str(e["loc"][-1]) for e in errors) + ".",
                errors=errors,
            ) from None

    def openapi_parameters(self) -> list[dict[str, Any]]:
        schema = self.model.model_json_schema()
        definitions = schema.get("$defs", {})
        required = set(schema.get("required", []))
        parameters = []
        for name, field_schema in schema["properties"].items():
            inlined = _inline_refs(field_schema, definitions)
            description = inlined.pop("description", None)
            inlined.pop("title", None)
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": inlined,
            }
            if description:
                parameter["description"] = description
            parameters.append(parameter)
        return parameters


def _inline_refs(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {key: _inline_refs(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    return node


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
