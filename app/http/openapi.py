"""The published contract: operation ids, the API description and problem+json error bodies."""

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from app.http.body import body_components
from app.http.openapi_examples import derive_component_examples
from app.http.problems import PROBLEM_CODE_SCHEMA, PROBLEM_JSON, problem_codes
from app.http.routing import api_routes

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"

_DESCRIPTION = """
JSON API for the hip-spine connection: an exercise catalogue and guidance taken from the guide
*Unlocking Your Hip-Spine Connection*, each item carrying the guide section it came from.

The content is general education about exercise and daily habits, **not medical advice or a
diagnosis**. Anyone with numbness, weakness or bladder or bowel changes should seek medical
care promptly.

## Assessments
The three self-tests (hip extension, seated rotation, bridge) are **informal screens, not a
diagnosis**. `POST /v1/assessments/score` is stateless: it stores nothing and needs no key. The
server computes the triage, most urgent first: `emergency` (the cauda-equina signs of NICE NG59
and the NHS's other reasons to go to A&E: same-day emergency care), `urgent` (the guide's
numbness, weakness, bladder or bowel changes, and fever, unexplained weight loss, a history of
cancer or constant night pain: prompt medical assessment), `see_professional` (pain beyond six
weeks, sharp or shooting pain, very severe pain, every test painful: gentle mobility only) and
`self_care`. Emergency and urgent give no exercises, no score and no plan. Every finding and
triage reason names the rule that produced it; results carry the `ruleset_version` and a
signed `result_token` to plan from later.

**Hip-spine score.** {score_formula}

## Versioning
Paths start with `/v1`; fields are only ever added within a major version. The content has its
own version, `dataset_version` (also the `X-Dataset-Version` header): it changes whenever any
exercise or guidance item changes, so an offline app can store `GET /v1/catalogue` and compare
versions.

## Authentication and scopes
The catalogue, guidance, scoring and plan preview are public and store nothing. Everything under
`/v1/patients` needs an API key from your organisation, sent as `Authorization: Bearer <key>` or
`X-API-Key: <key>`. Keys read `hs_live_…` or `hs_test_…`; they are shown once when made
(`hipspine create-key`), stored only as a keyed hash, and can expire, be revoked and be rotated
with an overlap. A missing, malformed, unknown, revoked or expired key is the same `401` with
`WWW-Authenticate`, and so is a request with more than one credential header. Each operation
names the scope it needs (`x-required-scope`); a key without it gets `403` naming the scope.
Your organisation comes from the key, never from the path or body: another organisation's
patient, assessment or plan is a `404`, exactly like a missing one.
Patient responses carry `Cache-Control: no-store`.

## Safe retries and concurrent edits
Send `Idempotency-Key` (any unique printable value, a UUID say) on a creating `POST`: the first
response, success or error, is kept for 24 hours and a retry with the same key and body gets it
again with `Idempotent-Replayed: true` (nothing is created twice). The same key with another body
is a `422` (`idempotency_key_reused`); a retry sent while the first is still running waits for it
and gets its response. A `201` means the write is committed; after a `5xx` or a lost connection,
retry with the same key. Patients and plans carry a strong `ETag`; `PATCH` needs `If-Match` with
it: `428` without, `412` when someone changed it since (fetch again and reapply your change).

## Rate limits
Each key, and each client address for calls without a key, may make a set number of requests in
any sliding minute. Responses carry `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` (seconds); beyond the limit the answer is `429` with `Retry-After`. Health
probes are not limited.

## Caching
Catalogue and guidance responses carry a strong `ETag` and `Cache-Control: public`. Send the
ETag back as `If-None-Match` to get `304 Not Modified` with no body while nothing changed.

## Pagination
Lists return `{items, next_cursor}`. Pass `next_cursor` back as `cursor` (with the same filters)
for the next page; it is null on the last page. `limit` is 1 to 100 (default 20). Cursors are
opaque: a malformed one gets 422.

## Errors
Every error is `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`,
`instance`, a stable machine-readable `code` and the `request_id`. Validation errors (422) list
each bad field in `errors[]` as `{loc, msg, type}`; unknown query parameters and unknown body
fields are rejected, never ignored. Bodies must be JSON (`Content-Type: application/json`, else
415) within the size limit (else 413); header fields beyond their bounds get 431. A database
outage is a 503 with `Retry-After`: nothing was changed, retry. A 500 never carries exception
text: quote its `request_id`, which is also in every response's `X-Request-ID` header (send
your own `X-Request-ID` to correlate).
""".strip()


def api_description(*, score_formula: str) -> str:
    return _DESCRIPTION.replace("{score_formula}", score_formula)


def operation_id(route: APIRoute) -> str:
    """The handler's name in camelCase (``list_exercises`` -> ``listExercises``), so generated
    clients read ``catalogue.listExercises`` / ``catalogue.list_exercises``; every route needs a
    tag, which groups it in the clients."""
    if not route.tags:
        raise ValueError(f"route {route.path} has no tag")
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


# A domain's addition to the contract (its security, its rate-limit headers, the codes its data
# defines): called with the schema FastAPI generated and every API route with its full path, it
# edits the schema in place.
ContractExtension = Callable[[dict[str, Any], list[tuple[str, APIRoute]]], None]


def build_openapi(app: FastAPI, *, extensions: Sequence[ContractExtension] = ()) -> dict[str, Any]:
    if app.openapi_schema is None:
        _reject_duplicate_operation_ids(app.routes)
        routes = list(api_routes(app.routes))
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            servers=app.servers,
            separate_input_output_schemas=app.separate_input_output_schemas,
        )
        _restore_route_examples(schema, routes)
        _declare_problem_media_type(schema)
        known = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, component in body_components(route for _, route in routes).items():
            known.setdefault(name, component)
        known[PROBLEM_CODE_SCHEMA]["enum"] = problem_codes()
        for extend in extensions:
            extend(schema, routes)
        derive_component_examples(schema)
        app.openapi_schema = schema
    return app.openapi_schema


def enum_extension(name: str, values: Iterable[str]) -> ContractExtension:
    """List ``values`` as the enum of the named component schema ``name`` (codes that come from
    data, which the model's own schema cannot list)."""

    def extend(schema: dict[str, Any], _routes: list[tuple[str, APIRoute]]) -> None:
        schema["components"]["schemas"][name]["enum"] = sorted(values)

    return extend


def shared_examples(examples: dict[str, dict[str, Any]]) -> ContractExtension:
    """Add these Example Objects (``{"summary": ..., "value": ...}``) to the contract's
    ``components/examples``."""

    def extend(schema: dict[str, Any], _routes: list[tuple[str, APIRoute]]) -> None:
        schema["components"].setdefault("examples", {}).update(examples)

    return extend


def _reject_duplicate_operation_ids(routes: Sequence[BaseRoute]) -> None:
    """Two handlers of one name would give two operations one id, and generated clients would
    silently keep one of them."""
    seen: dict[str, str] = {}
    for context in iter_route_contexts(routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        identifier: str = context.operation_id or context.unique_id
        if identifier in seen:
            raise ValueError(
                f"operation id {identifier!r} of {context.path} is already used by "
                f"{seen[identifier]}: rename one of the handlers"
            )
        seen[identifier] = str(context.path)


def _restore_route_examples(schema: dict[str, Any], routes: list[tuple[str, APIRoute]]) -> None:
    """FastAPI renders the document without a single null (``exclude_none``), inside examples
    too, which leaves them missing required fields; put back the request and response examples
    the routes declare, as declared."""
    for path, route in routes:
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"][path][method.lower()]
            declared = [
                (operation.get("requestBody", {}), (route.openapi_extra or {}).get("requestBody"))
            ]
            declared += [
                (operation["responses"][str(status)], response)
                for status, response in route.responses.items()
            ]
            for rendered, source in declared:
                for media, content in (source or {}).get("content", {}).items():
                    if "examples" in content:
                        rendered["content"][media]["examples"] = content["examples"]


def _declare_problem_media_type(schema: dict[str, Any]) -> None:
    """Error responses are application/problem+json, not the default application/json."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if int(status) >= 400 and content and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")


def render_contract(app: FastAPI) -> str:
    """The committed form of the contract: sorted keys, two-space indent, final newline."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
