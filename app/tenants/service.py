"""Organisations and keys: create, list, revoke, rotate, authenticate. Writes are flushed, never
committed: the caller (the command line) commits them."""

import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, make_url
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.db import Reads, Record, utc_now
from app.core.errors import NotFound
from app.tenants.keys import (
    KeyKind,
    NewKey,
    Scope,
    digests_match,
    generate_key,
    key_digest,
    key_prefix,
    parse_key_id,
)
from app.tenants.models import ApiKey, Organisation, usable_at
from app.tenants.schemas import Principal

# Compared against when the key id is unknown, so an unknown key costs the same as a wrong one.
_NO_DIGEST = "0" * 64


class MissingKeySecret(RuntimeError):
    """API_KEY_SECRET is unset on a database that is not an embedded SQLite file."""


def server_secret(settings: Settings) -> bytes:
    """The HMAC secret for API keys: ``API_KEY_SECRET``, or on an SQLite file a random one kept
    beside the database, created on first use, so the embedded default needs no set-up."""
    if settings.api_key_secret is not None:
        return settings.api_key_secret.get_secret_value().encode()
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise MissingKeySecret("set API_KEY_SECRET (32 characters or more) for this database")
    return _shared_secret_file(Path(f"{url.database}.key-secret"))


def _shared_secret_file(path: Path) -> bytes:
    """The secret in ``path``, created (mode 0600) if missing. The file is written in full
    under a temporary name and linked into place, so workers starting together all read the
    one complete secret that won, never a half-written or empty one."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    create_private_file(draft, secrets.token_urlsafe(48))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another worker's secret won
    finally:
        draft.unlink()
    return path.read_bytes().strip()


def create_private_file(path: Path, text: str) -> None:
    """A new file only its owner can read (mode 0600 from the start, never widened)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``plaintext`` exists only here, to be shown once."""

    record: ApiKey
    plaintext: str


def create_organisation(session: Session, name: str) -> Organisation:
    organisation = Organisation(name=name)
    session.add(organisation)
    session.flush()
    return organisation


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.exec(select(Organisation).order_by(col(Organisation.created_at))))


def find_organisation(session: Session, name: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.name == name)).first()


def create_key(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    scopes: list[Scope],
    secret: bytes,
    kind: KeyKind = KeyKind.live,
    name: str = "",
    expires_at: datetime | None = None,
) -> IssuedKey:
    _require_organisation(session, organisation_id)
    record, plaintext = _new_key(organisation_id, scopes, secret, kind, name, expires_at)
    session.add(record)
    session.flush()
    return IssuedKey(record=record, plaintext=plaintext)


def _new_key(
    organisation_id: uuid.UUID,
    scopes: list[Scope],
    secret: bytes,
    kind: KeyKind,
    name: str,
    expires_at: datetime | None,
) -> tuple[ApiKey, str]:
    new: NewKey = generate_key(kind)
    record = ApiKey(
        id=new.key_id,
        organisation_id=organisation_id,
        kind=kind.value,
        name=name,
        digest=key_digest(secret, new.plaintext),
        scopes=sorted(scope.value for scope in scopes),
        expires_at=expires_at,
    )
    return record, new.plaintext


def list_keys(session: Session, organisation_id: uuid.UUID) -> list[ApiKey]:
    _require_organisation(session, organisation_id)
    query = (
        select(ApiKey)
        .where(ApiKey.organisation_id == organisation_id)
        .order_by(col(ApiKey.created_at), col(ApiKey.id))
    )
    return list(session.exec(query))


def _require_organisation(session: Session, organisation_id: uuid.UUID) -> None:
    if session.get(Organisation, organisation_id) is None:
        raise NotFound(f"No organisation {organisation_id}.")


def _key(session: Session, name: str) -> ApiKey:
    """The key named by its id or by its whole visible prefix (``hs_live_<id>``); a prefix of
    the wrong kind names no key."""
    record = session.get(ApiKey, name.rsplit("_", 1)[-1])
    if record is None or name not in (record.id, describe_key(record)):
        raise NotFound(f"No key {name}.")
    return record


def revoke_key(session: Session, key_id: str) -> ApiKey:
    record = _key(session, key_id)
    if record.revoked_at is None:
        record.revoked_at = utc_now()
        session.add(record)
        session.flush()
    return record


def rotate_key(session: Session, key_id: str, *, secret: bytes, overlap: timedelta) -> IssuedKey:
    """A new key with the old one's organisation, scopes, kind and expiry; the old key keeps
    working for ``overlap`` (or until its own expiry, if sooner) while clients switch over."""
    old = _key(session, key_id)
    now = utc_now()
    if not usable_at(old, now):
        raise NotFound(f"Key {key_id} is revoked or expired; create a new one instead.")
    if old.replaced_by is not None:
        raise NotFound(f"Key {key_id} was already rotated; rotate hs_…_{old.replaced_by} instead.")
    record, plaintext = _new_key(
        old.organisation_id,
        [Scope(scope) for scope in old.scopes],
        secret,
        KeyKind(old.kind),
        old.name,
        old.expires_at,
    )
    old.expires_at = min(now + overlap, old.expires_at or now + overlap)
    old.replaced_by = record.id
    session.add_all([record, old])
    session.flush()
    return IssuedKey(record=record, plaintext=plaintext)


# What verifying a key reads of its record, in one statement built once (``verify_key``).
_KEY_FIELDS = ("id", "organisation_id", "digest", "scopes", "expires_at", "revoked_at")
_KEY_TABLE = ApiKey.__table__  # type: ignore[attr-defined]
_KEY_BY_ID = select_columns(*(_KEY_TABLE.c[name] for name in _KEY_FIELDS)).where(
    _KEY_TABLE.c.id == bindparam("key_id")
)


def authenticate(session: Session, presented: str, *, secret: bytes) -> Principal | None:
    """The principal for a presented key, or None for a malformed, unknown, wrong, revoked or
    expired one (callers answer all of those the same way)."""
    key_id = parse_key_id(presented)
    return _principal(session.get(ApiKey, key_id) if key_id else None, presented, secret)


async def verify_key(reads: Reads, presented: str, *, secret: bytes) -> Principal | None:
    """``authenticate`` for a request: one read on its own connection, no session."""
    key_id = parse_key_id(presented)
    row = await reads.first(_KEY_BY_ID, {"key_id": key_id}) if key_id else None
    return _principal(row, presented, secret)


def _principal(record: ApiKey | Record | None, presented: str, secret: bytes) -> Principal | None:
    # The digest is compared even when there is no record, so both take the same time.
    matches = digests_match(record.digest if record else _NO_DIGEST, key_digest(secret, presented))
    if record is None or not matches or not usable_at(record, utc_now()):
        return None
    return Principal(
        organisation_id=record.organisation_id,
        key_id=record.id,
        scopes=frozenset(Scope(scope) for scope in record.scopes),
        expires_at=record.expires_at,
    )


def describe_key(record: ApiKey) -> str:
    return key_prefix(KeyKind(record.kind), record.id)
