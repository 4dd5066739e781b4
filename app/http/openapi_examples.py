"""Examples in the contract: true, because they are computed, and where generators want them.

Domains compute the examples of their requests and responses from their own data (the content
files, the scorer, the generator) and declare them on their routes with :func:`example_response`;
a large body several operations return is declared once (``app.http.openapi.shared_examples``)
and referred to with :func:`shared_example_response`. When the contract is built,
:func:`derive_component_examples` gives every component schema without an example of its own
the first value it takes inside those, so nested examples are pieces of real ones. A test
validates every example against its schema.
"""

import json
from collections.abc import Callable, Iterator
from typing import Any


def example_response(
    value: Any, *, summary: str, media_type: str = "application/json"
) -> dict[str, Any]:
    """A ``responses=`` entry showing ``value`` as the example body of its media type."""
    return {
        "content": {media_type: {"examples": {"example": {"summary": summary, "value": value}}}}
    }


def shortened(
    value: Any, *, whole: frozenset[str] = frozenset(), kept: frozenset[str] = frozenset()
) -> Any:
    """``value`` (JSON) with every list cut to its first item, for an example of a large body:
    lists under a key in ``whole`` keep every item (the schema demands them all), values under a
    key in ``kept`` are left as they are."""
    if isinstance(value, list):
        return [shortened(item, whole=whole, kept=kept) for item in value[:1]]
    if isinstance(value, dict):
        return {
            key: item
            if key in kept
            else [shortened(element, whole=whole, kept=kept) for element in item]
            if key in whole and isinstance(item, list)
            else shortened(item, whole=whole, kept=kept)
            for key, item in value.items()
        }
    return value


def shared_example_response(name: str, media_type: str = "application/json") -> dict[str, Any]:
    """A ``responses=`` entry whose example is ``components/examples/<name>``, given to the
    contract by ``app.http.openapi.shared_examples``: for large bodies that several operations
    return."""
    reference = {"$ref": f"#/components/examples/{name}"}
    return {"content": {media_type: {"examples": {name: reference}}}}


# Generated clients copy a schema's examples into their type comments (openapi-typescript's
# JSDoc), so an example larger than this stays on the operations that return it.
MAX_SCHEMA_EXAMPLE_BYTES = 16_384


def derive_component_examples(schema: dict[str, Any]) -> None:
    """Give every component schema without an example of its own the first value it takes
    inside another example: a component's, then an operation's (request and response bodies).
    Nested examples are then pieces of the real, computed ones, never copies written by hand
    that drift. Values over :data:`MAX_SCHEMA_EXAMPLE_BYTES` are not copied."""
    components: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    derived: dict[str, Any] = {}

    def visit(value: Any, node: Any) -> None:
        if not isinstance(node, dict) or value is None:
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENT_REF):
            name = ref.removeprefix(_COMPONENT_REF)
            target = components[name]
            if "examples" not in target and name not in derived and _small(value):
                derived[name] = value
            visit(value, target)
        for union in ("anyOf", "oneOf"):
            branch = next((b for b in node.get(union, []) if _fits(value, b, components)), None)
            visit(value, branch)
        if isinstance(value, dict):
            for key, sub_schema in node.get("properties", {}).items():
                if key in value:
                    visit(value[key], sub_schema)
            if isinstance(node.get("additionalProperties"), dict):
                for item in value.values():
                    visit(item, node["additionalProperties"])
        if isinstance(value, list) and isinstance(node.get("items"), dict):
            for item in value:
                visit(item, node["items"])

    for name in sorted(components):
        for example in components[name].get("examples", []):
            visit(example, components[name])
    for media_schema, example in _operation_examples(schema):
        visit(example, media_schema)
    for name, example in derived.items():
        components[name]["examples"] = [example]


_COMPONENT_REF = "#/components/schemas/"


def _operation_examples(schema: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Any]]:
    """Every request and response body example, with the schema of its media type."""
    shared = schema.get("components", {}).get("examples", {})
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            bodies = [operation.get("requestBody", {})]
            bodies += operation.get("responses", {}).values()
            for body in bodies:
                for media in body.get("content", {}).values():
                    for example in media.get("examples", {}).values():
                        ref = example.get("$ref", "")
                        value = shared[ref.rsplit("/", 1)[-1]] if ref else example
                        yield media.get("schema", {}), value.get("value")


def _small(value: Any) -> bool:
    return len(json.dumps(value, separators=(",", ":"))) <= MAX_SCHEMA_EXAMPLE_BYTES


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _fits(value: Any, node: Any, components: dict[str, Any]) -> bool:
    """Whether ``value`` has the shape of ``node``: enough to pick a union's branch (the
    examples test validates every example in full)."""
    if not isinstance(node, dict):
        return False
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_COMPONENT_REF):
        return _fits(value, components[ref.removeprefix(_COMPONENT_REF)], components)
    if "const" in node and value != node["const"]:
        return False
    if "enum" in node and value not in node["enum"]:
        return False
    kind = node.get("type")
    if isinstance(kind, str) and not _JSON_TYPES[kind](value):
        return False
    if isinstance(value, dict):
        if not set(node.get("required", [])) <= value.keys():
            return False
        constants = {
            key: sub["const"]
            for key, sub in node.get("properties", {}).items()
            if isinstance(sub, dict) and "const" in sub
        }
        if any(value.get(key) != constant for key, constant in constants.items()):
            return False
    unions = [node[union] for union in ("anyOf", "oneOf") if union in node]
    return all(any(_fits(value, branch, components) for branch in union) for union in unions)
