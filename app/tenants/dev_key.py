"""The local development key that ``make run`` prints, so /docs can be authorised at once.

Keys are otherwise shown once and never stored. This one is kept in plaintext, in
``<database>.dev-key`` (mode 0600) beside the embedded default SQLite file, only so that every
start can print the same key: it is a ``test`` key of a local organisation, on a database in
the git-ignored ``data/`` directory whose HMAC secret already sits beside it, so the file gives
nobody more than read access to ``data/`` gives anyway. The CLI never calls this for any other
database.
"""

from pathlib import Path

from sqlalchemy import make_url
from sqlmodel import Session

from app.tenants import service
from app.tenants.keys import KeyKind, Scope

DEV_ORGANISATION = "Local development"


def dev_key_path(database_url: str) -> Path:
    return Path(f"{make_url(database_url).database}.dev-key")


def ensure_dev_key(session: Session, *, path: Path, secret: bytes) -> str:
    """The key kept in ``path`` while it still authenticates with every scope; otherwise a new
    one, written there (revoked keys, a reset database and new scopes all end up here)."""
    kept = path.read_text(encoding="utf-8").strip() if path.exists() else ""
    principal = service.authenticate(session, kept, secret=secret) if kept else None
    if principal is not None and principal.scopes == frozenset(Scope):
        return kept
    if principal is not None:
        service.revoke_key(session, principal.key_id)
    organisation = service.find_organisation(session, DEV_ORGANISATION)
    if organisation is None:
        organisation = service.create_organisation(session, DEV_ORGANISATION)
    issued = service.create_key(
        session,
        organisation_id=organisation.id,
        scopes=list(Scope),
        secret=secret,
        kind=KeyKind.test,
        name="make run",
    )
    path.unlink(missing_ok=True)  # so the new file gets mode 0600 whatever the old one had
    service.create_private_file(path, f"{issued.plaintext}\n")
    return issued.plaintext
