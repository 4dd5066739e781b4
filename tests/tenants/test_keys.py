"""The key format, its parser, the keyed hash and scope parsing: pure, no database."""

import re

import pytest

from app.tenants.keys import (
    MAX_KEY_LENGTH,
    KeyKind,
    Scope,
    digests_match,
    generate_key,
    key_digest,
    key_prefix,
    parse_key_id,
    parse_scopes,
)

SECRET = b"a-server-secret-of-at-least-32-characters"
WELL_FORMED = "hs_live_0123456789ab_" + "A" * 40


@pytest.mark.parametrize("kind", list(KeyKind))
def test_a_key_reads_prefix_then_secret(kind: KeyKind) -> None:
    new = generate_key(kind)

    assert re.fullmatch(rf"hs_{kind.value}_[0-9a-f]{{12}}_[A-Za-z0-9]{{40}}", new.plaintext)
    assert new.prefix == key_prefix(kind, new.key_id) == f"hs_{kind.value}_{new.key_id}"
    assert new.plaintext.startswith(f"{new.prefix}_")
    assert len(new.plaintext) <= MAX_KEY_LENGTH
    assert parse_key_id(new.plaintext) == new.key_id


def test_keys_are_random() -> None:
    keys = [generate_key(KeyKind.live) for _ in range(50)]

    assert len({key.key_id for key in keys}) == len({key.plaintext for key in keys}) == 50


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "hs_live_0123456789ab",  # the prefix alone
        "hs_prod_0123456789ab_" + "A" * 40,  # unknown kind
        "HS_LIVE_0123456789ab_" + "A" * 40,
        "hs_live_0123456789AB_" + "A" * 40,  # the id is lower-case hex
        "hs_live_0123456789a_" + "A" * 40,  # short id
        "hs_live_0123456789ab_" + "A" * 39,  # short secret
        "hs_live_0123456789ab_" + "A" * 41,  # long secret
        "hs_live_0123456789ab_" + "A" * 39 + "-",
        " " + WELL_FORMED,
        WELL_FORMED + "\n",
        f"Bearer {WELL_FORMED}",
    ],
)
def test_parse_key_id_rejects_malformed_keys(presented: str) -> None:
    assert parse_key_id(presented) is None


def test_parse_key_id_reads_the_id_of_any_well_formed_key() -> None:
    assert parse_key_id(WELL_FORMED) == "0123456789ab"


def test_the_digest_is_keyed_by_the_server_secret() -> None:
    plaintext = generate_key(KeyKind.live).plaintext
    digest = key_digest(SECRET, plaintext)

    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert key_digest(SECRET, plaintext) == digest
    assert key_digest(SECRET + b"x", plaintext) != digest
    other_last = "1" if plaintext.endswith("0") else "0"  # a key may end in "0" already
    assert key_digest(SECRET, plaintext[:-1] + other_last) != digest
    assert digests_match(digest, key_digest(SECRET, plaintext))
    assert not digests_match(digest, key_digest(SECRET + b"x", plaintext))


def test_parse_scopes_sorts_and_deduplicates() -> None:
    assert parse_scopes(" plans:write,patients:read,, patients:read ") == [
        Scope.patients_read,
        Scope.plans_write,
    ]


@pytest.mark.parametrize("text", ["", " , "])
def test_parse_scopes_needs_one(text: str) -> None:
    with pytest.raises(ValueError, match="at least one"):
        parse_scopes(text)


def test_parse_scopes_names_the_unknown_and_the_known() -> None:
    with pytest.raises(ValueError, match="unknown scope") as raised:
        parse_scopes("patients:read,patients:delete,admin")

    message = str(raised.value)
    assert "admin, patients:delete" in message
    assert all(scope.value in message for scope in Scope)
