from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict

from app.core.errors import UnprocessableContent
from app.http.body import JsonBody, body_components


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inner: Inner


body = JsonBody(Outer, examples={"one": {"value": {"inner": {"n": 1}}}})


def test_valid_bytes_parse_into_the_model() -> None:
    assert body.parse(b'{"inner": {"n": 3}}') == Outer(inner=Inner(n=3))


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        (b'{"inner": {"n": "secret-value"}}', ["body", "inner", "n"]),
        (b'{"inner": {"n": 1}, "extra": true}', ["body", "extra"]),
        (b"{not json", ["body"]),
        (b"", ["body"]),
    ],
)
def test_invalid_bytes_are_a_422_naming_the_field(raw: bytes, loc: list[str]) -> None:
    with pytest.raises(UnprocessableContent) as raised:
        body.parse(raw)

    assert raised.value.errors is not None
    assert raised.value.errors[0]["loc"] == loc
    assert "secret-value" not in str(raised.value.errors)  # the input is never echoed


def test_openapi_declares_the_schema_and_examples() -> None:
    request_body = body.openapi()["requestBody"]

    assert request_body["required"] is True
    media = request_body["content"]["application/json"]
    assert media["schema"] == {"$ref": "#/components/schemas/Outer"}
    assert media["examples"] == {"one": {"value": {"inner": {"n": 1}}}}


def test_components_include_the_model_and_what_it_uses() -> None:
    app = FastAPI()

    @app.post("/outer")
    async def read(raw: Annotated[bytes, Depends(body)]) -> None:
        return None

    components = body_components(app.routes)

    assert components["Outer"]["properties"]["inner"] == {"$ref": "#/components/schemas/Inner"}
    assert "Inner" in components
