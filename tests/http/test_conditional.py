import pytest

from app.core.errors import PreconditionRequired
from app.http.conditional import field_lines, if_match, matches_if_none_match, strong_etag


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


@pytest.mark.parametrize(
    ("header", "versions"),
    [
        ('"v2"', {2}),
        ('"v1", "v2"', {1, 2}),
        ('"v1",,\t"v2" ,', {1, 2}),  # empty elements and optional whitespace (RFC 9110 5.6.1)
        ('"a,b", "v3"', {3}),  # a comma inside a tag does not split the list
        ('W/"v1", "x"', set()),  # weak and foreign tags name no version
        ('"v1" "v2"', set()),  # not a list: names nothing, so it fails like a stale ETag
        ("v1", set()),
        ('"v1", *', set()),  # `*` stands alone or not at all
        ("*", None),
    ],
)
def test_if_match_is_star_or_a_list_of_etags(header: str, versions: set[int] | None) -> None:
    precondition = if_match(header, required=True)
    assert precondition.versions == (None if versions is None else frozenset(versions))
    assert precondition.sent
    assert not precondition.allows(None)  # nothing to match: no current representation


@pytest.mark.parametrize("header", [None, "", " "])
def test_a_missing_or_blank_if_match_is_required_where_updates_need_it(header: str | None) -> None:
    with pytest.raises(PreconditionRequired):
        if_match(header, required=True)
    absent = if_match(header, required=False)
    assert absent.allows(7)
    assert absent.allows(None)


def test_a_field_on_several_lines_is_one_list() -> None:
    assert field_lines(['"v1"', '"v2", "v3"']) == '"v1", "v2", "v3"'
    assert field_lines([]) is None
    assert matches_if_none_match(field_lines(['"x"', '"abc"']), '"abc"')
