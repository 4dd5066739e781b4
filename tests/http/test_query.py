"""Strict query strings: unknown parameters are a 422 naming them (FastAPI's query models with
``extra="forbid"``), on routes that take none too, and a repeated parameter is a 422."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient

from app.http.query import QueryParameters
from app.http.routing import api_routes

# Routes of every kind that take no query parameters.
NO_PARAMETERS = [
    ("GET", "/healthz"),
    ("GET", "/v1/catalogue"),
    ("GET", "/v1/exercises/clamshell"),
    ("GET", "/v1/guidance/faq"),
    ("GET", "/v1/assessments"),
    ("POST", "/v1/assessments/score"),
    ("POST", "/v1/plans/preview/calendar"),
]


def errors(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    found: list[dict[str, Any]] = response.json()["errors"]
    return found


def query_annotations(dependant: Dependant) -> list[Any]:
    """What each query parameter of a route, or of any of its dependencies, is declared as."""
    found = [field.field_info.annotation for field in dependant.query_params]
    for dependency in dependant.dependencies:
        found += query_annotations(dependency)
    return found


def test_every_route_takes_its_query_as_one_strict_model(app: FastAPI) -> None:
    """So no route of the API can forget to reject what it does not declare (the docs pages,
    outside the API, take what the browser sends)."""
    for path, route in api_routes(app.routes):
        if not route.include_in_schema:
            continue
        models = query_annotations(route.dependant)
        assert len(models) == 1, path
        assert isinstance(models[0], type), path
        assert issubclass(models[0], QueryParameters), path


def test_declared_parameters_are_read(client: TestClient) -> None:
    response = client.get("/v1/exercises?category=strength&limit=1")
    assert response.status_code == 200
    assert [item["category"] for item in response.json()["items"]] == ["strength"]


def test_an_unknown_parameter_is_named(client: TestClient) -> None:
    assert errors(client.get("/v1/exercises?categroy=strength")) == [
        {
            "loc": ["query", "categroy"],
            "msg": "Extra inputs are not permitted",
            "type": "extra_forbidden",
        }
    ]


@pytest.mark.parametrize(("method", "path"), NO_PARAMETERS)
def test_a_route_without_parameters_rejects_any(client: TestClient, method: str, path: str) -> None:
    found = errors(client.request(method, f"{path}?verbose=1&a=2", json={}))
    assert [error["loc"] for error in found if error["type"] == "extra_forbidden"] == [
        ["query", "verbose"],
        ["query", "a"],
    ]


@pytest.mark.parametrize(
    "query",
    [
        "category=strength&category=cardio",
        "limit=2&limit=2",
        "verbose=1&verbose=1",
        "limit=2&%6Cimit=3",  # the same name, percent-encoded the second time
    ],
)
def test_a_repeated_parameter_is_refused_not_half_read(client: TestClient, query: str) -> None:
    name = query.split("=")[0]
    assert errors(client.get(f"/v1/exercises?{query}")) == [
        {"loc": ["query", name], "msg": "Give this parameter once", "type": "repeated"}
    ]


def test_an_invalid_value_names_the_parameter_alone(client: TestClient) -> None:
    (error,) = errors(client.get("/v1/exercises?limit=0"))
    assert error["loc"] == ["query", "limit"]
