"""JSON request bodies read as bytes and validated on demand.

FastAPI validates a declared body before any dependency of the endpoint has run. The patient
routes must first check the key, its scope and the path's ids (a caller without access learns
nothing from how its body is judged), and the idempotent creates fingerprint the raw bytes; so
endpoints declare their body through :class:`JsonBody`: the same schema and examples in the
OpenAPI document, the same 422 problem details for invalid input, validated when the endpoint
asks. Nothing is memoised on raw bodies: any caller could fill such a memo with padded JSON.
"""

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.routing import BaseRoute

from app.core.errors import invalid_input

ModelT = TypeVar("ModelT", bound=BaseModel)
COMPONENTS_REF = "#/components/schemas/{model}"


class JsonBody(Generic[ModelT]):
    def __init__(self, model: type[ModelT], *, examples: dict[str, Any] | None = None) -> None:
        self.model = model
        self.examples = examples or {}

    async def __call__(self, request: Request) -> bytes:
        return await request.body()

    def parse(self, raw: bytes) -> ModelT:
        try:
            return self.model.model_validate_json(raw)
        except ValidationError as error:
            raise invalid_input(error.errors(), location="body") from None

    def openapi(self) -> dict[str, Any]:
        """The operation's ``requestBody``, for ``openapi_extra``."""
        media: dict[str, Any] = {
            "schema": {"$ref": COMPONENTS_REF.format(model=self.model.__name__)}
        }
        if self.examples:
            media["examples"] = self.examples
        return {"requestBody": {"required": True, "content": {"application/json": media}}}


def body_components(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """Component schemas for the :class:`JsonBody` models these routes read, and what they use
    (FastAPI documents only the bodies it validates itself)."""
    components: dict[str, Any] = {}
    bodies = [
        dependency.call
        for route in routes
        if isinstance(route, APIRoute)
        for dependency in route.dependant.dependencies
        if isinstance(dependency.call, JsonBody)
    ]
    for body in bodies:
        schema = body.model.model_json_schema(ref_template=COMPONENTS_REF)
        components.update(schema.pop("$defs", {}))
        components[body.model.__name__] = schema
    return components
