"""JSON request bodies read as bytes and validated on demand.

Scoring and plan generation are deterministic, so their endpoints memoise on the raw body:
a repeated request skips JSON parsing and validation as well as the work itself. FastAPI
would validate every body before the endpoint runs, so these endpoints declare the body
through :class:`JsonBody`: the same schema and examples in the OpenAPI document, the same
422 problem details for invalid input, but validation only when the bytes are new.
"""

from typing import Any, ClassVar, Generic, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from app.errors import UnprocessableContent, field_errors

ModelT = TypeVar("ModelT", bound=BaseModel)
COMPONENTS_REF = "#/components/schemas/{model}"


class JsonBody(Generic[ModelT]):
    registered: ClassVar[list[type[BaseModel]]] = []

    def __init__(self, model: type[ModelT], *, examples: dict[str, Any] | None = None) -> None:
        self.model = model
        self.examples = examples or {}
        JsonBody.registered.append(model)

    async def __call__(self, request: Request) -> bytes:
        return await request.body()

    def parse(self, raw: bytes) -> ModelT:
        try:
            return self.model.model_validate_json(raw)
        except ValidationError as error:
            errors = field_errors(error.errors(), location="body")
            fields = ", ".join(".".join(str(part) for part in e["loc"]) for e in errors)
            raise UnprocessableContent(f"Invalid input: {fields}.", errors=errors) from None

    def openapi(self) -> dict[str, Any]:
        """The operation's ``requestBody``, for ``openapi_extra``."""
        media: dict[str, Any] = {
            "schema": {"$ref": COMPONENTS_REF.format(model=self.model.__name__)}
        }
        if self.examples:
            media["examples"] = self.examples
        return {"requestBody": {"required": True, "content": {"application/json": media}}}


def body_components() -> dict[str, Any]:
    """Component schemas for every :class:`JsonBody` model and the models they use."""
    components: dict[str, Any] = {}
    for model in JsonBody.registered:
        schema = model.model_json_schema(ref_template=COMPONENTS_REF)
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components
