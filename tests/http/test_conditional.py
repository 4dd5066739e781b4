import pytest

from app.http.conditional import matches_if_none_match, strong_etag


def test_strong_etag_is_quoted_and_content_derived() -> None:
    etag = strong_etag(b"abc")

    assert etag.startswith('"')
    assert etag.endswith('"')
    assert etag == strong_etag(b"abc")
    assert etag != strong_etag(b"abd")


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x","y"', False),
        ("*", True),
        ('"ab"', False),
    ],
)
def test_if_none_match_uses_weak_comparison(header: str | None, matches: bool) -> None:
    assert matches_if_none_match(header, '"abc"') is matches
