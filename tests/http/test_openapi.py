"""The committed contract is exactly what the app serves, and follows the conventions."""

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.http.openapi import CONTRACT_PATH, render_contract


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_committed_contract_matches_the_served_schema(app: FastAPI) -> None:
    assert CONTRACT_PATH.read_text(encoding="utf-8") == render_contract(app), (
        "openapi/openapi.json is stale: run `make openapi`"
    )


def test_operation_ids_are_tag_dash_handler(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        tag = operation["tags"][0]
        assert operation["operationId"].startswith(f"{tag}-"), (path, method)


def test_every_error_response_is_problem_json(schema: dict[str, Any]) -> None:
    problem_fields = schema["components"]["schemas"]["Problem"]["required"]
    for path, _method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, status)
                ref = response["content"]["application/problem+json"]["schema"]["$ref"]
                component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
                # Problem itself, or a Problem with extension members.
                assert set(problem_fields) <= set(component["properties"]), (path, status)


def test_every_operation_declares_422_and_500(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        assert {"422", "500"} <= set(operation["responses"]), (path, method)


def test_every_component_schema_has_an_example_or_examples_on_its_fields(
    schema: dict[str, Any],
) -> None:
    for name in ("Problem", "ExercisePublic", "HealthStatus"):
        component = schema["components"]["schemas"][name]
        assert "examples" in component or any(
            "examples" in field for field in component["properties"].values()
        ), name


def test_description_explains_the_conventions(schema: dict[str, Any]) -> None:
    description = schema["info"]["description"]
    for topic in (
        "## Errors",
        "## Pagination",
        "## Caching",
        "## Versioning",
        "## Authentication and scopes",
        "## Safe retries and concurrent edits",
        "## Rate limits",
        "not medical advice",
    ):
        assert topic in description


def test_every_schema_reference_resolves(schema: dict[str, Any]) -> None:
    names = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schema)))
    assert names <= set(schema["components"]["schemas"])


def test_patient_operations_need_a_key_and_name_their_scope(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": schemes["bearer"]["bearerFormat"],
        "description": schemes["bearer"]["description"],
    }
    assert (schemes["api_key"]["in"], schemes["api_key"]["name"]) == ("header", "X-API-Key")
    tenant_operations = [
        operation for path, _, operation in operations(schema) if path.startswith("/v1/patients")
    ]
    assert len(tenant_operations) == 14
    for operation in tenant_operations:
        assert operation["security"] == [{"bearer": []}, {"api_key": []}]
        assert operation["x-required-scope"] in operation["description"]
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
        assert {"401", "403", "429"} <= operation["responses"].keys()
    public = [op for path, _, op in operations(schema) if not path.startswith("/v1/patients")]
    assert not any("security" in operation for operation in public)


def test_creating_posts_take_an_idempotency_key(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        if path.startswith("/v1/patients") and method == "post":
            names = [parameter["name"] for parameter in operation["parameters"]]
            assert "Idempotency-Key" in names, path
            assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]


def test_the_statuses_every_route_can_return_are_declared(schema: dict[str, Any]) -> None:
    """431 anywhere (header bounds), 415 wherever a body is read, 503 with Retry-After wherever
    the database is: nothing a route answers goes undeclared."""
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert "431" in responses, (path, method)
        assert ("415" in responses) == ("requestBody" in operation), (path, method)
        if path.startswith("/v1/patients"):
            assert "Retry-After" in responses["503"]["headers"], (path, method)
    database_free = ["/healthz", "/v1/catalogue", "/v1/assessments/score", "/v1/plans/preview"]
    for path in database_free:
        for operation in schema["paths"][path].values():
            assert "503" not in operation["responses"], path
