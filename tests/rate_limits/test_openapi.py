"""document_rate_limits declares the 429 and the RateLimit-* headers."""

import copy
from typing import Any

from app.rate_limits.openapi import document_rate_limits

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
TRIO = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]


def small_schema() -> dict[str, Any]:
    problem = {"description": "x", "content": {"application/problem+json": {"schema": PROBLEM_REF}}}
    return {
        "openapi": "3.1.0",
        "paths": {
            "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"responses": {"200": {"description": "ok"}, "503": problem}}},
            "/v1/things": {
                "parameters": [],
                "get": {"responses": {"200": {"description": "ok"}, "500": problem}},
            },
            "/v1/patients": {
                "post": {
                    "responses": {
                        "201": {"description": "created", "headers": {"ETag": {"schema": {}}}},
                        "429": {"description": "already declared", "content": {}},
                    }
                },
                "delete": {"responses": {"204": {"description": "gone"}}},
            },
        },
        "components": {"schemas": {"Problem": {"type": "object"}}},
    }


def test_probes_are_left_alone() -> None:
    schema = small_schema()
    document_rate_limits(schema)
    assert schema["paths"]["/healthz"] == small_schema()["paths"]["/healthz"]
    assert schema["paths"]["/readyz"] == small_schema()["paths"]["/readyz"]


def test_every_other_operation_gets_a_problem_429_with_retry_after() -> None:
    schema = small_schema()
    document_rate_limits(schema)
    too_many = schema["paths"]["/v1/things"]["get"]["responses"]["429"]
    assert too_many["description"] == "Rate limit reached: wait `Retry-After` seconds."
    assert too_many["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}
    assert too_many["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
    assert set(too_many["headers"]) == {*TRIO, "Retry-After"}
    assert "429" in schema["paths"]["/v1/patients"]["delete"]["responses"]
    kept = schema["paths"]["/v1/patients"]["post"]["responses"]["429"]
    assert kept["description"] == "already declared"
    assert "Retry-After" in kept["headers"]


def test_success_responses_declare_the_trio_beside_their_own_headers() -> None:
    schema = small_schema()
    document_rate_limits(schema)
    paths = schema["paths"]
    assert list(paths["/v1/things"]["get"]["responses"]["200"]["headers"]) == TRIO
    assert list(paths["/v1/patients"]["post"]["responses"]["201"]["headers"]) == ["ETag", *TRIO]
    assert list(paths["/v1/patients"]["delete"]["responses"]["204"]["headers"]) == TRIO
    assert "headers" not in paths["/v1/things"]["get"]["responses"]["500"]


def test_shared_headers_are_integer_components_and_every_ref_resolves() -> None:
    schema = small_schema()
    document_rate_limits(schema)
    headers = schema["components"]["headers"]
    assert set(headers) == {*TRIO, "Retry-After"}
    for header in headers.values():
        assert header["schema"]["type"] == "integer"
        assert header["description"]
    for item in schema["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation["responses"].values():
                for ref in response.get("headers", {}).values():
                    if "$ref" in ref:
                        assert ref["$ref"].rsplit("/", 1)[-1] in headers


def test_documenting_twice_changes_nothing() -> None:
    once = small_schema()
    document_rate_limits(once)
    twice = copy.deepcopy(once)
    document_rate_limits(twice)
    assert twice == once
