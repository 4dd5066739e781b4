"""The app's routes as one flat list, through included routers, and their paths by name."""

from collections.abc import Iterator, Mapping, Sequence

from fastapi import Request
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


def route_paths(routes: Sequence[BaseRoute]) -> dict[str, str]:
    """Each API route's path format by its name, for :func:`path_for` (kept in
    ``app.state.route_paths``)."""
    return {route.name: path for path, route in api_routes(routes)}


def path_for(request: Request, name: str, **parameters: object) -> str:
    """The path of the route named ``name``, as ``url_path_for`` gives it, from the path
    formats found once at start-up: ``url_path_for`` tries every route in turn (measured:
    18 µs for a patient, 116 µs for a patient's assessment, on every create)."""
    paths: Mapping[str, str] = request.app.state.route_paths
    return paths[name].format(**parameters)
