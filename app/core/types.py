"""Types that accept and produce exactly what their JSON Schema says.

Pydantic's lax mode takes ``"4"`` or ``true`` for an integer; strict mode refuses ``4.0``, which
JSON Schema counts as an integer. ``JsonInt`` sits between: any JSON number with no fractional
part, and nothing else.
"""

import re
from datetime import date, time
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema


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
