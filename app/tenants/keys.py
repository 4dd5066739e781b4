"""API keys: their format, scopes and keyed hash. Pure: no database, no HTTP.

A key reads ``hs_<kind>_<id>_<secret>``. ``hs_<kind>_<id>`` is the visible prefix: it names the
key in listings and logs, and lets secret scanners and people tell a live key from a test key.
Only the HMAC-SHA256 of the whole key, under a server secret, is stored, so a copy of the
database gives nobody a usable key and cannot be brute-forced without the server secret.
"""

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    patients_read = "patients:read"
    patients_write = "patients:write"
    assessments_write = "assessments:write"
    plans_write = "plans:write"
    patients_export = "patients:export"
    logs_write = "logs:write"


class KeyKind(StrEnum):
    live = "live"
    test = "test"


_ALPHABET = string.ascii_letters + string.digits
_ID_HEX_CHARS = 12
_SECRET_CHARS = 40  # about 238 bits
MAX_KEY_LENGTH = 80
_KEY = re.compile(
    rf"hs_(?P<kind>live|test)_(?P<id>[0-9a-f]{{{_ID_HEX_CHARS}}})_[A-Za-z0-9]{{{_SECRET_CHARS}}}"
)


@dataclass(frozen=True)
class NewKey:
    key_id: str
    kind: KeyKind
    plaintext: str

    @property
    def prefix(self) -> str:
        return key_prefix(self.kind, self.key_id)


def key_prefix(kind: KeyKind, key_id: str) -> str:
    return f"hs_{kind.value}_{key_id}"


def generate_key(kind: KeyKind) -> NewKey:
    key_id = secrets.token_hex(_ID_HEX_CHARS // 2)
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(_SECRET_CHARS))
    return NewKey(key_id=key_id, kind=kind, plaintext=f"{key_prefix(kind, key_id)}_{secret}")


def parse_key_id(presented: str) -> str | None:
    """The key id of a well-formed key, or None; says nothing about whether the key exists."""
    match = _KEY.fullmatch(presented)
    return match["id"] if match else None


def key_digest(server_secret: bytes, plaintext: str) -> str:
    return hmac.new(server_secret, plaintext.encode(), hashlib.sha256).hexdigest()


def digests_match(expected: str, actual: str) -> bool:
    return hmac.compare_digest(expected.encode(), actual.encode())


def parse_scopes(text: str) -> list[Scope]:
    """``a,b`` into scopes, sorted and unique; ValueError names any unknown one."""
    names = {name.strip() for name in text.split(",") if name.strip()}
    known = {scope.value for scope in Scope}
    unknown = sorted(names - known)
    if unknown:
        raise ValueError(
            f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    if not names:
        raise ValueError("give at least one scope")
    return sorted(Scope(name) for name in names)
