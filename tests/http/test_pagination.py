import pytest

from app.core.errors import UnprocessableContent
from app.http.pagination import CursorModel, decode_cursor, encode_cursor


class Position(CursorModel):
    o: int
    s: str


def test_cursor_round_trips_and_is_url_safe() -> None:
    cursor = encode_cursor(Position(o=3, s="clamshell"))

    assert decode_cursor(cursor, Position) == Position(o=3, s="clamshell")
    assert all(c.isalnum() or c in "-_" for c in cursor)


@pytest.mark.parametrize(
    "cursor",
    ["", "%%%", "bm90IGpzb24", encode_cursor(Position(o=1, s="a"))[:-3], "eyJvIjoxfQ", "ö"],
)
def test_foreign_or_damaged_cursor_is_rejected_with_its_location(cursor: str) -> None:
    with pytest.raises(UnprocessableContent) as raised:
        decode_cursor(cursor, Position)

    assert raised.value.errors == [
        {"loc": ["query", "cursor"], "msg": "Malformed or foreign cursor", "type": "invalid_cursor"}
    ]
