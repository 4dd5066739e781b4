"""The committed contract is exactly what the app serves, and follows the conventions that make
clean generated clients: one named schema per enum, integer counts, one media type per
operation, declared conditional-request headers, no `default: null`, true examples and names
that read well.

Checked on the committed file (the first test ties it to the app), so they need no database.
"""

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from jsonschema import Draft202012Validator
from openapi_python_client.strings import fix_reserved_words
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import app.main  # noqa: F401  (every router, hence every error class, is imported)
from app.assessments.service import Assessments
from app.core.errors import AppError
from app.http.openapi import (
    CONTRACT_PATH,
    build_openapi,
    operation_id,
    render_contract,
)
from app.http.openapi_examples import MAX_SCHEMA_EXAMPLE_BYTES

CONTRACT_URI = "urn:hipspine:contract"
SUCCESS = re.compile(r"2[0-9][0-9]")


@cache
def contract() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))
    return document


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in contract()["paths"].items()
        for method, operation in item.items()
    ]


def components() -> dict[str, Any]:
    schemas: dict[str, Any] = contract()["components"]["schemas"]
    return schemas


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def resolved(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return resolved(components()[node["$ref"].rsplit("/", 1)[-1]])
    return node


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every node of the document with its JSON pointer."""
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def test_committed_contract_matches_the_served_schema(app: FastAPI) -> None:
    assert CONTRACT_PATH.read_text(encoding="utf-8") == render_contract(app), (
        "openapi/openapi.json is stale: run `make openapi`"
    )


# --- names ------------------------------------------------------------------------------------


def test_operation_ids_are_the_handlers_in_camel_case_and_unique() -> None:
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(set(ids)) == len(ids)
    for identifier in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", identifier), identifier
    by_route = {(path, method): op["operationId"] for path, method, op in operations()}
    assert by_route["/v1/exercises", "get"] == "listExercises"
    assert by_route["/v1/plans/preview/calendar", "post"] == "previewPlanCalendar"
    assert by_route["/v1/patients/{patient_id}/plans/{plan_id}/calendar", "get"] == (
        "getPlanCalendar"
    )


def test_two_handlers_of_one_name_fail_loudly() -> None:
    app = FastAPI(generate_unique_id_function=operation_id)
    for prefix in ("/a", "/b"):
        router = APIRouter(prefix=prefix, tags=["things"])

        @router.get("")
        def list_things() -> None: ...

        app.include_router(router)

    with pytest.raises(ValueError, match="listThings"):
        build_openapi(app)


def test_a_route_without_a_tag_fails_loudly() -> None:
    app = FastAPI(generate_unique_id_function=operation_id)
    with pytest.raises(ValueError, match="no tag"):

        @app.get("/untagged")
        def untagged() -> None: ...


def test_no_generator_has_to_rename_a_field() -> None:
    """openapi-python-client appends `_` to builtins and keywords (`min` -> `min_`). Only RFC
    9457's `type` member (and errors[]'s, which mirrors it) keeps its standard name."""
    names = {
        name
        for _, node in walk(contract())
        if isinstance(node, dict) and isinstance(node.get("properties"), dict)
        for name in node["properties"]
    }
    names |= {p["name"] for _, _, op in operations() for p in op.get("parameters", [])}
    assert {name for name in names if fix_reserved_words(name) != name} == {"type"}


# --- enums ------------------------------------------------------------------------------------


def test_every_enum_is_one_named_schema() -> None:
    named = {f"/components/schemas/{name}" for name in components()}
    inline = [
        pointer
        for pointer, node in walk(contract())
        if isinstance(node, dict) and "enum" in node and pointer not in named
    ]
    assert inline == []


def test_no_parameter_can_be_null() -> None:
    for path, method, operation in operations():
        for parameter in operation.get("parameters", []):
            text = json.dumps(parameter["schema"])
            assert '"null"' not in text, (path, method, parameter)
            assert "anyOf" not in text, (path, method, parameter)


def test_header_parameters_keep_their_bounds() -> None:
    """Bounds the server enforces are published (a quirk of pydantic drops a `pattern` given
    beside an optional type's validator)."""
    create = contract()["paths"]["/v1/patients"]["post"]["parameters"]
    (key,) = [p["schema"] for p in create if p["name"] == "Idempotency-Key"]
    assert (key["minLength"], key["maxLength"], key["pattern"]) == (1, 255, r"^[\x21-\x7e]+$")
    update = contract()["paths"]["/v1/patients/{patient_id}"]["patch"]["parameters"]
    (if_match,) = [p["schema"] for p in update if p["name"] == "If-Match"]
    assert if_match["maxLength"] == 512


def test_time_zone_is_one_named_string_schema() -> None:
    time_zone = components()["TimeZone"]
    assert time_zone["type"] == "string"
    assert "enum" not in time_zone
    assert time_zone["examples"] == ["Europe/London"]
    assert "IANA" in time_zone["description"]
    for model in ("PlanRequest", "PatientPlanRequest"):
        assert components()[model]["properties"]["time_zone"] == ref("TimeZone")


def test_finding_codes_are_one_enum_wherever_a_finding_is_named() -> None:
    assert components()["FindingCode"]["enum"] == Assessments.load().finding_codes
    finding = ref("FindingCode")
    properties = {name: schema.get("properties", {}) for name, schema in components().items()}
    assert properties["Finding"]["code"] == finding
    assert properties["TargetArea"]["findings"]["items"] == finding
    assert properties["RecommendationReason"]["finding"] == finding
    assert finding in properties["TriageReason"]["finding"]["anyOf"]
    assert properties["PlanAssessment"]["findings"]["items"] == finding
    assert finding in properties["Why"]["finding"]["anyOf"]


def test_problem_code_lists_every_error_class_code() -> None:
    assert components()["Problem"]["properties"]["code"] == ref("ProblemCode")
    codes = set(components()["ProblemCode"]["enum"])
    classes = [AppError]
    for cls in classes:
        classes.extend(cls.__subclasses__())
    assert {cls.code for cls in classes} <= codes
    assert {"method_not_allowed", "duplicate_external_reference", "validation_error"} <= codes


# --- shapes -----------------------------------------------------------------------------------


def test_counts_are_integers_and_minutes_numbers() -> None:
    count, minutes = components()["CountRange"], components()["MinutesRange"]
    assert [count["properties"][bound]["type"] for bound in ("minimum", "maximum")] == [
        "integer",
        "integer",
    ]
    assert minutes["properties"]["minimum"]["type"] == "number"
    dose, frequency = components()["Dose"]["properties"], components()["Frequency"]["properties"]
    for field in (dose["sets"], dose["reps"], dose["hold_seconds"], frequency["times_per_week"]):
        assert ref("CountRange") in field["anyOf"]
    assert dose["duration_minutes"]["$ref"] == ref("MinutesRange")["$ref"]
    # Always sent (null where the guide gives no such number), so required in the contract.
    assert set(components()["Dose"]["required"]) == set(dose)
    assert set(components()["Frequency"]["required"]) == set(frequency)


def test_no_default_is_null() -> None:
    assert [
        p
        for p, node in walk(contract())
        if isinstance(node, dict) and node.get("default", 0) is None
    ] == []


def test_every_response_has_one_media_type() -> None:
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            assert len(response.get("content", {"": None})) == 1 or status == "204", (
                path,
                method,
                status,
            )
    preview = contract()["paths"]["/v1/plans/preview"]["post"]["responses"]["200"]["content"]
    calendar = contract()["paths"]["/v1/plans/preview/calendar"]["post"]
    assert list(preview) == ["application/json"]
    assert list(calendar["responses"]["200"]["content"]) == ["text/calendar"]
    assert all(p["name"] != "format" for p in calendar.get("parameters", []))


def test_every_error_response_is_problem_json() -> None:
    problem_fields = components()["Problem"]["required"]
    for path, _method, operation in operations():
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, status)
                schema = resolved(response["content"]["application/problem+json"]["schema"])
                # Problem itself, or a Problem with extension members.
                assert set(problem_fields) <= set(schema["properties"]), (path, status)


def test_every_operation_declares_422_and_500() -> None:
    for path, method, operation in operations():
        assert {"422", "500"} <= set(operation["responses"]), (path, method)


def test_public_gets_declare_conditional_requests() -> None:
    public_gets = [
        (path, operation)
        for path, method, operation in operations()
        if method == "get" and "security" not in operation and operation["tags"] != ["health"]
    ]
    assert len(public_gets) == 10
    for path, operation in public_gets:
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert [p["name"] for p in headers] == ["If-None-Match"], path
        for status in ("200", "304"):
            declared = operation["responses"][status]["headers"]
            assert {"ETag", "X-Dataset-Version", "Cache-Control"} <= declared.keys(), path


def test_every_schema_reference_resolves() -> None:
    document = json.dumps(contract())
    assert set(re.findall(r'"#/components/schemas/([^"]+)"', document)) <= set(components())
    shared = set(contract()["components"].get("examples", {}))
    assert set(re.findall(r'"#/components/examples/([^"]+)"', document)) <= shared


# --- examples ---------------------------------------------------------------------------------


@cache
def registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(contract(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(CONTRACT_URI, resource)
    return registry


def validate(example: Any, schema_pointer: str) -> list[str]:
    validator = Draft202012Validator(
        {"$ref": f"{CONTRACT_URI}#{schema_pointer}"},
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(example)
    ]


def every_example() -> Iterator[tuple[str, Any, str]]:
    """(where, example, pointer of the schema it must satisfy) for every example in the
    contract: schemas' own `examples`, and request, response and parameter examples."""
    shared = contract()["components"].get("examples", {})
    for pointer, node in walk(contract()):
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("examples"), list) and "/examples/" not in pointer:
            for index, example in enumerate(node["examples"]):
                yield f"{pointer}/examples/{index}", example, pointer
        if isinstance(node.get("examples"), dict) and "schema" in node:
            for name, example in node["examples"].items():
                if "$ref" in example:
                    example = shared[example["$ref"].rsplit("/", 1)[-1]]
                yield f"{pointer}/examples/{name}", example["value"], f"{pointer}/schema"


def test_there_are_examples_to_check() -> None:
    assert len(list(every_example())) > 200


@pytest.mark.parametrize(("where", "example", "schema_pointer"), list(every_example()))
def test_every_example_is_valid_against_its_schema(
    where: str, example: Any, schema_pointer: str
) -> None:
    assert validate(example, schema_pointer) == [], where


def media_examples_of(name: str) -> list[bool]:
    """For each operation body whose schema is the component ``name``: has it examples?"""
    return [
        "examples" in media
        for _, _, operation in operations()
        for body in [operation.get("requestBody", {}), *operation["responses"].values()]
        for media in body.get("content", {}).values()
        if media.get("schema") == ref(name)
    ]


def test_every_object_schema_has_an_example() -> None:
    """In the schema itself or, for a body too large to copy into generated clients' type
    comments, in every operation that sends or returns it."""
    for name, schema in components().items():
        if schema.get("type") != "object":
            continue
        if "examples" not in schema:
            used = media_examples_of(name)
            assert used, name
            assert all(used), name
        else:
            size = len(json.dumps(schema["examples"][0], separators=(",", ":")))
            assert size <= MAX_SCHEMA_EXAMPLE_BYTES, name


def test_every_success_response_has_an_example() -> None:
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            if not SUCCESS.fullmatch(status) or "content" not in response:
                continue
            for media in response["content"].values():
                shown = "examples" in media or "examples" in resolved(media["schema"])
                assert shown, (path, method, status)


# --- the description and the security part ------------------------------------------------------


def test_description_explains_the_conventions() -> None:
    description = contract()["info"]["description"]
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


def test_patient_operations_need_a_key_and_name_their_scope() -> None:
    schemes = contract()["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": schemes["bearer"]["bearerFormat"],
        "description": schemes["bearer"]["description"],
    }
    assert (schemes["api_key"]["in"], schemes["api_key"]["name"]) == ("header", "X-API-Key")
    tenant_operations = [op for path, _, op in operations() if path.startswith("/v1/patients")]
    assert len(tenant_operations) == 23
    for operation in tenant_operations:
        assert operation["security"] == [{"bearer": []}, {"api_key": []}]
        assert operation["x-required-scope"] in operation["description"]
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
        assert {"401", "403", "429"} <= operation["responses"].keys()
    public = [op for path, _, op in operations() if not path.startswith("/v1/patients")]
    assert not any("security" in operation for operation in public)


def test_creating_posts_take_an_idempotency_key() -> None:
    for path, method, operation in operations():
        if path.startswith("/v1/patients") and method == "post":
            names = [parameter["name"] for parameter in operation["parameters"]]
            assert "Idempotency-Key" in names, path
            assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]


def test_the_statuses_every_route_can_return_are_declared() -> None:
    """431 anywhere (header bounds), 415 wherever a body is read, 503 with Retry-After wherever
    the database is: nothing a route answers goes undeclared."""
    schema = contract()
    for path, method, operation in operations():
        responses = operation["responses"]
        assert "431" in responses, (path, method)
        assert ("415" in responses) == ("requestBody" in operation), (path, method)
        if path.startswith("/v1/patients"):
            assert "Retry-After" in responses["503"]["headers"], (path, method)
    database_free = ["/healthz", "/v1/catalogue", "/v1/assessments/score", "/v1/plans/preview"]
    for path in database_free:
        for operation in schema["paths"][path].values():
            assert "503" not in operation["responses"], path
