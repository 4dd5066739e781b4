"""The app's routes as one flat list, through included routers."""

from collections.abc import Iterator, Sequence

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path."""
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            yield context.path_format or route.path_format, route


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> list[str]:
    """Every method some route serves at ``path``, for a 405's ``Allow`` (RFC 9110 15.5.6).

    Starlette names only the methods of the first route whose path matches, but a path here is
    often served by several routes (``GET`` and ``POST /v1/patients``)."""
    methods = {
        method
        for _, route in api_routes(routes)
        if route.path_regex.fullmatch(path)
        for method in route.methods or ()
    }
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
