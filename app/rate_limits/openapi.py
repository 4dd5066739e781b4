"""Declare the rate limit in the OpenAPI document, so generated clients know about the 429."""

from collections.abc import Sequence
from typing import Any

from app.http.problems import PROBLEM_JSON, problem_responses
from app.rate_limits.middleware import EXEMPT_PATHS

_HEADERS: dict[str, dict[str, Any]] = {
    "RateLimit-Limit": {
        "description": "Requests allowed in any sliding minute to this API key (or, without a "
        "key, to this client address).",
        "schema": {"type": "integer", "minimum": 1, "examples": [600]},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current minute.",
        "schema": {"type": "integer", "minimum": 0, "examples": [599]},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the count next goes down far enough to allow another "
        "request.",
        "schema": {"type": "integer", "minimum": 1, "examples": [60]},
    },
    "Retry-After": {
        "description": "Seconds to wait before sending another request.",
        "schema": {"type": "integer", "minimum": 1, "examples": [42]},
    },
}
_RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
_TOO_MANY_REQUESTS = problem_responses(429)[429]["description"]


def document_rate_limits(schema: dict[str, Any], _routes: Sequence[object] = ()) -> None:
    """Give every operation but the probes a 429 (problem+json, with ``Retry-After``) and the
    ``RateLimit-*`` headers on its 2xx and 429 responses; the header objects are shared
    components. Expects ``#/components/schemas/Problem`` to exist (every error refers to it)."""
    schema.setdefault("components", {}).setdefault("headers", {}).update(_HEADERS)
    for path, path_item in schema.get("paths", {}).items():
        if path in EXEMPT_PATHS:
            continue
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                _document_operation(operation["responses"])


def _document_operation(responses: dict[str, Any]) -> None:
    too_many = responses.setdefault(
        "429",
        {
            "description": _TOO_MANY_REQUESTS,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    )
    _declare_headers(too_many, (*_RATE_LIMIT_HEADERS, "Retry-After"))
    for status, response in responses.items():
        if status.startswith("2"):
            _declare_headers(response, _RATE_LIMIT_HEADERS)


def _declare_headers(response: dict[str, Any], names: tuple[str, ...]) -> None:
    headers = response.setdefault("headers", {})
    for name in names:
        headers[name] = {"$ref": f"#/components/headers/{name}"}
