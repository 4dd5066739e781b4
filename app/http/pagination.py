"""Opaque keyset cursors and the ``{items, next_cursor}`` page shape."""

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from app.core.errors import UnprocessableContent

CURSOR_FORMAT = "opaque-cursor"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 512

CursorT = TypeVar("CursorT", bound=BaseModel)
ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.",
        examples=["eyJvIjo0LCJzIjoiZGVlcC1zcXVhdC1ob2xkIn0"],
    )


Cursor = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CURSOR_LENGTH),
    WithJsonSchema(
        {
            "type": "string",
            "format": CURSOR_FORMAT,
            "pattern": CURSOR_PATTERN,
            "maxLength": MAX_CURSOR_LENGTH,
            "description": "The `next_cursor` of the previous page, passed back unchanged.",
        }
    ),
]


class CursorModel(BaseModel):
    """Base for the position a cursor encodes; unknown keys mean it was not ours."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _in_utc(moment: datetime) -> datetime:
    # A time with an offset near the ends of the calendar has no UTC equivalent
    # (0001-01-01T00:00+14:00 is in year 0): not a position any cursor of ours holds.
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("not a time in UTC's range") from None


UtcTimestamp = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""A timestamp in a cursor, held in UTC as the database compares it."""


class InvalidCursor(UnprocessableContent):
    code = "invalid_cursor"


def encode_cursor(position: BaseModel) -> str:
    raw = json.dumps(position.model_dump(mode="json"), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, model: type[CursorT]) -> CursorT:
    """The position ``cursor`` holds, or a 422 ``invalid_cursor`` for anything that does not
    decode to one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        return model.model_validate_json(raw)
    except (ValueError, binascii.Error, ValidationError, UnicodeEncodeError, OverflowError):
        raise InvalidCursor(
            "The cursor is not one this API issued; start again without it.",
            errors=[
                {
                    "loc": ["query", "cursor"],
                    "msg": "Malformed or foreign cursor",
                    "type": "invalid_cursor",
                }
            ],
        ) from None
