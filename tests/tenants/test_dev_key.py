"""The local development key: created once, reprinted while it works, replaced when it does not."""

import stat
from pathlib import Path

import pytest
from sqlmodel import Session

from app.tenants import service
from app.tenants.dev_key import DEV_ORGANISATION, dev_key_path, ensure_dev_key
from app.tenants.keys import KeyKind, Scope
from app.tenants.models import ApiKey
from tests.conftest import TEST_KEY_SECRET

SECRET = TEST_KEY_SECRET.encode()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return dev_key_path(f"sqlite:///{tmp_path / 'hipspine.db'}")


def dev_keys(session: Session) -> list[ApiKey]:
    organisation = service.find_organisation(session, DEV_ORGANISATION)
    assert organisation is not None
    return service.list_keys(session, organisation.id)


def test_the_key_file_sits_beside_the_database() -> None:
    assert dev_key_path("sqlite:////srv/data/hipspine.db") == Path("/srv/data/hipspine.db.dev-key")


def test_a_first_start_creates_an_organisation_and_a_test_key_with_every_scope(
    session: Session, path: Path
) -> None:
    key = ensure_dev_key(session, path=path, secret=SECRET)

    principal = service.authenticate(session, key, secret=SECRET)
    assert principal is not None
    assert principal.scopes == frozenset(Scope)
    assert key.startswith("hs_test_")
    assert [record.id for record in dev_keys(session)] == [principal.key_id]
    assert path.read_text(encoding="utf-8") == f"{key}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_later_starts_reprint_the_same_key(session: Session, path: Path) -> None:
    key = ensure_dev_key(session, path=path, secret=SECRET)

    assert ensure_dev_key(session, path=path, secret=SECRET) == key
    assert len(dev_keys(session)) == 1


def test_a_revoked_key_is_replaced_in_the_same_organisation(session: Session, path: Path) -> None:
    key = ensure_dev_key(session, path=path, secret=SECRET)
    service.revoke_key(session, key.rsplit("_", 1)[0])
    path.chmod(0o644)

    new = ensure_dev_key(session, path=path, secret=SECRET)

    assert new != key
    assert service.authenticate(session, new, secret=SECRET) is not None
    assert path.read_text(encoding="utf-8") == f"{new}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(dev_keys(session)) == 2


@pytest.mark.parametrize("kept", ["", "not a key", "hs_test_000000000000_" + "A" * 40])
def test_a_key_file_that_does_not_authenticate_is_rewritten(
    session: Session, path: Path, kept: str
) -> None:
    """A reset database, or a file from elsewhere."""
    path.write_text(kept, encoding="utf-8")

    key = ensure_dev_key(session, path=path, secret=SECRET)

    assert key != kept
    assert service.authenticate(session, key, secret=SECRET) is not None
    assert path.read_text(encoding="utf-8") == f"{key}\n"


def test_a_key_missing_a_scope_is_revoked_and_replaced(session: Session, path: Path) -> None:
    organisation = service.create_organisation(session, DEV_ORGANISATION)
    narrow = service.create_key(
        session,
        organisation_id=organisation.id,
        scopes=[Scope.patients_read],
        secret=SECRET,
        kind=KeyKind.test,
    )
    path.write_text(narrow.plaintext, encoding="utf-8")

    key = ensure_dev_key(session, path=path, secret=SECRET)

    principal = service.authenticate(session, key, secret=SECRET)
    assert principal is not None
    assert principal.scopes == frozenset(Scope)
    assert service.authenticate(session, narrow.plaintext, secret=SECRET) is None
