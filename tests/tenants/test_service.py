"""The key lifecycle on SQLite and PostgreSQL: create, authenticate, revoke, expire, rotate; the
key itself is never stored nor logged; and where the server secret comes from."""

import concurrent.futures
import logging
import stat
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, text
from sqlmodel import Session, select

from app.core.config import Settings
from app.core.db import utc_now
from app.core.errors import NotFound
from app.tenants import service
from app.tenants.keys import KeyKind, Scope, key_digest, parse_key_id
from app.tenants.models import ApiKey, Organisation
from app.tenants.schemas import Principal
from app.tenants.service import IssuedKey, MissingKeySecret, describe_key, server_secret
from tests.conftest import TEST_KEY_SECRET

SECRET = TEST_KEY_SECRET.encode()
SCOPES = [Scope.plans_write, Scope.patients_read]


@pytest.fixture
def organisation(session: Session) -> Organisation:
    return service.create_organisation(session, "Acme Clinic")


def issue(
    session: Session, organisation: Organisation, *, expires_at: datetime | None = None
) -> IssuedKey:
    return service.create_key(
        session,
        organisation_id=organisation.id,
        scopes=SCOPES,
        secret=SECRET,
        name="ios app",
        expires_at=expires_at,
    )


def authenticate(session: Session, key: IssuedKey | str) -> Principal | None:
    plaintext = key.plaintext if isinstance(key, IssuedKey) else key
    return service.authenticate(session, plaintext, secret=SECRET)


def secret_part(plaintext: str) -> str:
    return plaintext.rsplit("_", 1)[1]


def test_organisations_are_created_listed_and_found(
    session: Session, organisation: Organisation
) -> None:
    assert organisation in service.list_organisations(session)
    assert service.find_organisation(session, "Acme Clinic") == organisation
    assert service.find_organisation(session, "Nobody") is None


def test_a_new_key_row_holds_its_digest_and_scopes(
    session: Session, organisation: Organisation
) -> None:
    issued = service.create_key(
        session,
        organisation_id=organisation.id,
        scopes=SCOPES,
        secret=SECRET,
        kind=KeyKind.test,
        name="staging",
    )
    record = issued.record

    assert issued.plaintext.startswith(f"{describe_key(record)}_")
    assert describe_key(record) == f"hs_test_{record.id}"
    assert record.id == parse_key_id(issued.plaintext)
    assert (record.kind, record.name) == ("test", "staging")
    assert record.scopes == ["patients:read", "plans:write"]
    assert record.digest == key_digest(SECRET, issued.plaintext)
    assert (record.expires_at, record.revoked_at, record.replaced_by) == (None, None, None)
    assert service.list_keys(session, organisation.id) == [record]


def test_authenticate_returns_the_keys_organisation_and_scopes(
    session: Session, organisation: Organisation
) -> None:
    issued = issue(session, organisation)

    assert authenticate(session, issued) == Principal(
        organisation_id=organisation.id,
        key_id=issued.record.id,
        scopes=frozenset({Scope.patients_read, Scope.plans_write}),
    )


def _other_last_character(key: str) -> str:
    return key[:-1] + ("b" if key.endswith("a") else "a")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_other_last_character, id="wrong-secret-part"),
        pytest.param(lambda key: f"hs_live_{'0' * 12}{key[20:]}", id="unknown-id"),
        pytest.param(lambda key: key.replace("hs_live_", "hs_test_"), id="other-kind"),
        pytest.param(lambda key: key[:-1], id="malformed"),
        pytest.param(lambda key: f"{key} ", id="trailing-space"),
        pytest.param(lambda key: "", id="empty"),
    ],
)
def test_authenticate_rejects_anything_but_the_key(
    session: Session, organisation: Organisation, tamper: Callable[[str], str]
) -> None:
    issued = issue(session, organisation)

    assert authenticate(session, tamper(issued.plaintext)) is None


def test_a_key_hashed_under_another_server_secret_is_rejected(
    session: Session, organisation: Organisation
) -> None:
    issued = issue(session, organisation)

    assert service.authenticate(session, issued.plaintext, secret=SECRET + b"-rotated") is None


def test_no_key_for_an_unknown_organisation(session: Session) -> None:
    count = select(func.count()).select_from(ApiKey)
    before = session.exec(count).one()

    with pytest.raises(NotFound, match="No organisation"):
        service.create_key(session, organisation_id=uuid.uuid4(), scopes=SCOPES, secret=SECRET)

    assert session.exec(count).one() == before


def test_a_revoked_key_stops_working(session: Session, organisation: Organisation) -> None:
    by_prefix, by_id = issue(session, organisation), issue(session, organisation)

    revoked = service.revoke_key(session, describe_key(by_prefix.record))
    assert revoked.revoked_at is not None
    assert authenticate(session, by_prefix) is None
    assert service.revoke_key(session, by_prefix.record.id).revoked_at == revoked.revoked_at

    service.revoke_key(session, by_id.record.id)
    assert authenticate(session, by_id) is None
    with pytest.raises(NotFound):
        service.revoke_key(session, "hs_live_000000000000")


def test_a_key_stops_working_when_it_expires(session: Session, organisation: Organisation) -> None:
    issued = issue(session, organisation, expires_at=utc_now() + timedelta(hours=1))
    assert authenticate(session, issued) is not None

    issued.record.expires_at = utc_now() - timedelta(seconds=1)
    session.add(issued.record)
    session.commit()

    assert authenticate(session, issued) is None


def test_rotation_overlaps_then_only_the_new_key_works(
    session: Session, organisation: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = issue(session, organisation)
    before = utc_now()
    new = service.rotate_key(
        session, describe_key(old.record), secret=SECRET, overlap=timedelta(hours=24)
    )

    assert new.plaintext != old.plaintext
    assert (new.record.organisation_id, new.record.scopes, new.record.kind, new.record.name) == (
        organisation.id,
        old.record.scopes,
        "live",
        "ios app",
    )
    old_record = session.get(ApiKey, old.record.id)
    assert old_record is not None
    assert old_record.replaced_by == new.record.id
    assert old_record.expires_at is not None
    assert before + timedelta(hours=24) <= old_record.expires_at <= utc_now() + timedelta(hours=24)
    assert authenticate(session, old) is not None
    assert authenticate(session, new) is not None

    after_overlap = old_record.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(service, "utc_now", lambda: after_overlap)

    assert authenticate(session, old) is None
    assert authenticate(session, new) is not None


def test_rotation_keeps_an_expiry_sooner_than_the_overlap(
    session: Session, organisation: Organisation
) -> None:
    expires_at = utc_now() + timedelta(hours=1)
    old = issue(session, organisation, expires_at=expires_at)

    new = service.rotate_key(session, old.record.id, secret=SECRET, overlap=timedelta(hours=24))

    assert new.record.expires_at == expires_at
    assert service.list_keys(session, organisation.id)[0].expires_at == expires_at


def test_a_revoked_or_expired_key_cannot_be_rotated(
    session: Session, organisation: Organisation
) -> None:
    revoked = issue(session, organisation)
    service.revoke_key(session, revoked.record.id)
    expired = issue(session, organisation, expires_at=utc_now() - timedelta(seconds=1))

    for key in (revoked, expired):
        with pytest.raises(NotFound, match="create a new one"):
            service.rotate_key(session, key.record.id, secret=SECRET, overlap=timedelta(hours=1))


def test_a_key_is_named_by_its_id_or_its_own_prefix(
    session: Session, organisation: Organisation
) -> None:
    issued = issue(session, organisation)
    wrong_kind = describe_key(issued.record).replace("hs_live_", "hs_test_")
    for name in (wrong_kind, f"x{issued.record.id}", "hs_live_"):
        with pytest.raises(NotFound):
            service.revoke_key(session, name)
    assert service.revoke_key(session, describe_key(issued.record)).revoked_at is not None


def test_a_rotated_key_cannot_be_rotated_again(
    session: Session, organisation: Organisation
) -> None:
    old = issue(session, organisation)
    new = service.rotate_key(session, old.record.id, secret=SECRET, overlap=timedelta(hours=1))
    with pytest.raises(NotFound, match=new.record.id):
        service.rotate_key(session, old.record.id, secret=SECRET, overlap=timedelta(hours=1))


def _lifecycle(session: Session, organisation: Organisation) -> list[IssuedKey]:
    """Create, use, rotate and revoke keys; the keys that existed in plaintext."""
    first, second = issue(session, organisation), issue(session, organisation)
    rotated = service.rotate_key(session, first.record.id, secret=SECRET, overlap=timedelta(0))
    for key in (first, second, rotated):
        authenticate(session, key)
    service.revoke_key(session, second.record.id)
    return [first, second, rotated]


def _dump_database(session: Session) -> str:
    """Every value of every row of every table, api_key included, as text."""
    connection = session.connection()
    tables = inspect(connection).get_table_names()
    assert "api_key" in tables
    return "\n".join(
        str(value)
        for table in tables
        for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        for value in row
    )


def test_the_key_is_never_stored(session: Session, organisation: Organisation) -> None:
    keys = _lifecycle(session, organisation)

    dump = _dump_database(session)

    assert all(key.record.digest in dump for key in keys)
    for key in keys:
        assert key.plaintext not in dump
        assert secret_part(key.plaintext) not in dump


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything at DEBUG, the SQL and its parameters too. Requested before ``session``, so
    the test's connection is opened with SQL logging on."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    return caplog


def test_the_key_is_never_logged(debug_logs: pytest.LogCaptureFixture, session: Session) -> None:
    keys = _lifecycle(session, service.create_organisation(session, "Logged Clinic"))

    logged = debug_logs.text
    assert any(record.name.startswith("sqlalchemy.engine") for record in debug_logs.records)
    assert keys[0].record.digest in logged  # the INSERT's parameters were logged
    for key in keys:
        assert key.plaintext not in logged
        assert secret_part(key.plaintext) not in logged


def _settings(database_url: str, api_key_secret: str | None = None) -> Settings:
    return Settings.model_validate({"database_url": database_url, "api_key_secret": api_key_secret})


@pytest.mark.parametrize("url", ["postgresql+psycopg://app@db.internal/app", "sqlite://"])
def test_the_server_secret_comes_from_the_settings(url: str) -> None:
    assert server_secret(_settings(url, TEST_KEY_SECRET)) == SECRET


def test_on_sqlite_a_server_secret_is_created_beside_the_database(tmp_path: Path) -> None:
    database = tmp_path / "data" / "app.db"
    settings = _settings(f"sqlite:///{database}")

    secret = server_secret(settings)

    kept = tmp_path / "data" / "app.db.key-secret"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_bytes().strip() == secret
    assert len(secret) >= 32
    assert server_secret(settings) == secret
    assert server_secret(_settings(f"sqlite:///{tmp_path / 'other.db'}")) != secret


def test_workers_starting_together_share_one_complete_secret(tmp_path: Path) -> None:
    settings = _settings(f"sqlite:///{tmp_path / 'app.db'}")
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        secrets = list(pool.map(lambda _: server_secret(settings), range(16)))
    assert len(set(secrets)) == 1
    assert len(secrets[0]) >= 32
    assert sorted(path.name for path in tmp_path.iterdir()) == ["app.db.key-secret"]


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://app@db.internal/app", "sqlite://", "sqlite:///:memory:"]
)
def test_elsewhere_the_server_secret_must_be_set(url: str) -> None:
    with pytest.raises(MissingKeySecret, match="API_KEY_SECRET"):
        server_secret(_settings(url))
