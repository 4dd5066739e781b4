import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.http.pagination import (
    CursorModel,
    InvalidCursor,
    UtcTimestamp,
    decode_cursor,
    encode_cursor,
)


class Position(CursorModel):
    o: int
    s: str


class TimePosition(CursorModel):
    t: UtcTimestamp


def forged(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def test_cursor_round_trips_and_is_url_safe() -> None:
    cursor = encode_cursor(Position(o=3, s="clamshell"))

    assert decode_cursor(cursor, Position) == Position(o=3, s="clamshell")
    assert all(c.isalnum() or c in "-_" for c in cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "%%%",
        "bm90IGpzb24",
        encode_cursor(Position(o=1, s="a"))[:-3],
        "eyJvIjoxfQ",
        "ö",
        forged({"o": 1, "s": "a", "extra": True}),
        forged([1, "a"]),
    ],
)
def test_foreign_or_damaged_cursor_is_rejected_with_its_location(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(cursor, Position)

    assert raised.value.status == 422
    assert raised.value.code == "invalid_cursor"
    assert raised.value.errors == [
        {"loc": ["query", "cursor"], "msg": "Malformed or foreign cursor", "type": "invalid_cursor"}
    ]


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00"],
)
def test_a_time_with_no_utc_equivalent_or_no_offset_is_no_position(moment: str) -> None:
    """0001-01-01T00:00+14:00 is in year 0 in UTC: it once overflowed in the query (a 500)."""
    with pytest.raises(InvalidCursor):
        decode_cursor(forged({"t": moment}), TimePosition)


def test_a_time_is_held_in_utc() -> None:
    position = decode_cursor(forged({"t": "2026-05-01T12:00:00+02:00"}), TimePosition)

    assert position.t == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert position.t.utcoffset() is not None
    assert position.t.tzinfo == UTC


@given(st.text(max_size=80))
def test_any_text_is_a_position_or_invalid_cursor(text: str) -> None:
    try:
        decode_cursor(text, TimePosition)
    except InvalidCursor:
        pass


@given(st.datetimes(timezones=st.timezones()))
def test_any_aware_time_is_a_utc_position_or_invalid_cursor(moment: datetime) -> None:
    try:
        position = decode_cursor(forged({"t": moment.isoformat()}), TimePosition)
    except InvalidCursor:
        return
    assert position.t.tzinfo == UTC
