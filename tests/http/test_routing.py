"""Routes by name: ``path_for`` gives the path Starlette's ``url_path_for`` gives, for every
named API route of the app."""

import re
import uuid

from fastapi import FastAPI, Request

from app.http.routing import api_routes, path_for


def test_every_named_route_has_the_path_url_path_for_gives(app: FastAPI) -> None:
    request = Request({"type": "http", "app": app})
    routes = list(api_routes(app.routes))
    assert len(routes) > 20
    for path, route in routes:
        parameters = {name: str(uuid.uuid4()) for name in re.findall(r"{(\w+)}", path)}
        assert path_for(request, route.name, **parameters) == app.url_path_for(
            route.name, **parameters
        )
