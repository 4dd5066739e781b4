"""Types that accept and produce exactly what their JSON Schema says, and publish a schema that
client generators turn into clean types.

Pydantic's lax mode takes ``"4"`` or ``true`` for an integer; strict mode refuses ``4.0``, which
JSON Schema counts as an integer. ``JsonInt`` sits between: any JSON number with no fractional
part, and nothing else. ``Omittable``, ``Nullable`` and ``ServerDefault`` keep optional fields
free of the ``default`` pydantic would publish, and ``NamedSchema`` makes a constrained type one
named component schema.
"""

import re
from datetime import date, time
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError


def _json_number_only(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a JSON integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_number_only)]
# Bounds on an optional JsonInt only reach the JSON Schema as minimum/maximum when they come
# before the validator; so an optional bounded integer is spelled with this.
HoursInDay = Annotated[int, Field(ge=0, le=24), BeforeValidator(_json_number_only)]


_LOCAL_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def _local_time_text(value: Any) -> Any:
    if isinstance(value, time) and value.tzinfo is None and not value.second:
        return value  # built in Python (defaults); JSON input is always text
    if not isinstance(value, str) or not _LOCAL_TIME.fullmatch(value):
        raise ValueError("Input should be a local time as HH:MM, e.g. 09:00")
    return value


# A wall-clock time in the plan's own time zone. JSON Schema's "time" format demands a UTC
# offset, which a local schedule does not have, so the shape is a pattern: HH:MM.
LocalTime = Annotated[
    time,
    BeforeValidator(_local_time_text),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["09:00"]}
    ),
]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_text(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("Input should be a date as YYYY-MM-DD")
    return value


# Pydantic's lax dates also take Unix timestamps; JSON Schema's "date" is text only.
JsonDate = Annotated[date, BeforeValidator(_iso_date_text)]


# C0 control characters but tab, line feed and carriage return, and DEL: invisible in what
# people read, they garble logs, terminals and exports, and PostgreSQL refuses a NUL in text
# and JSON outright. A character class's ranges, read alike by Python and by JSON Schema's
# ECMA-262 patterns.
CONTROL_CHARACTERS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f"
_CONTROL_CHARACTER = re.compile(f"[{CONTROL_CHARACTERS}]")


def control_character_at(text: str) -> int | None:
    """Where ``text``'s first control character is (see ``CONTROL_CHARACTERS``), if any."""
    found = _CONTROL_CHARACTER.search(text)
    return found.start() if found is not None else None


def _refuse_control_characters(value: str) -> str:
    index = control_character_at(value)
    if index is not None:
        raise PydanticCustomError(
            "control_character",
            "Must not contain control characters other than tab and line breaks "
            "(U+{code} at {index})",
            {"code": f"{ord(value[index]):04X}", "index": index},
        )
    return value


class _NoControlCharactersSchema:
    """Publishes the check as the string's `pattern`, so clients can make it before sending."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = f"^[^{CONTROL_CHARACTERS}]*$"
        return schema


# Free text from a request: anything printable, tabs and line breaks. Bound it beside this
# (``Annotated[str, StringConstraints(max_length=...), *PlainText.__metadata__]``) and say
# "no control characters" in the field's description.
PlainText = Annotated[str, AfterValidator(_refuse_control_characters), _NoControlCharactersSchema()]


ValueT = TypeVar("ValueT")


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("Omit the field instead of sending null")
    return value


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _value_only(schema: dict[str, Any]) -> None:
    """The schema of ``ValueT | None`` without its null branch and its `default: null`."""
    _without_default(schema)
    branches = schema.pop("anyOf", [])
    (value,) = [branch for branch in branches if branch != {"type": "null"}] or [{}]
    schema.update(value)


# A field that is either absent or a value, never null; ``None`` in Python means "not given".
# Its schema is the value's alone, with no `default: null`, which generators would otherwise
# read as "nullable" (openapi-python-client) or "always sent" (openapi-typescript). (Spelt as
# ``ValueT | None`` so pydantic's errors name the field alone, not a union member.)
Omittable = Annotated[
    ValueT | None,
    BeforeValidator(_not_null),
    Field(json_schema_extra=_value_only),
]

# A field the server fills in when it is absent: its schema carries no `default`, which
# openapi-typescript would read as "always sent" and so make required in requests too. Say the
# default in the field's description.
ServerDefault = Annotated[ValueT, Field(json_schema_extra=_without_default)]

# A field that is absent, a value, or null where null means something of its own (say what in
# its description): no `default: null` in its schema either.
Nullable = Annotated[ValueT | None, Field(json_schema_extra=_without_default)]


class NamedSchema:
    """Publish an annotated type as one named component schema, referenced wherever it is used,
    so generated clients get one type (``TimeZone``) instead of an inline copy per field.

    ``schema`` replaces what pydantic would have generated for the type; validation is the
    type's own (add validators beside this marker)."""

    def __init__(self, name: str, schema: dict[str, Any]) -> None:
        self.name = name
        self.schema = schema

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        # A core schema with a ``ref`` becomes one definition that every use points to.
        return {**handler(source), "ref": self.name}

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        reference = handler(core_schema)
        definition = handler.resolve_ref_schema(reference)
        definition.clear()
        definition.update(self.schema)
        return reference
