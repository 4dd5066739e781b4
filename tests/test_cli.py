"""`hipspine` as `make run` and operators use it: prestart twice is safe and, on the embedded
default database only, prints a development key; the contract check works; organisations and
keys are managed from the command line, on SQLite and PostgreSQL."""

import contextlib
import re
import stat
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func
from sqlmodel import Session, select

from app import cli
from app.catalogue.content import Content
from app.catalogue.models import Exercise
from app.cli import main
from app.core.config import get_settings
from app.core.db import make_engine, utc_now
from app.tenants import service
from app.tenants.dev_key import dev_key_path
from app.tenants.keys import Scope
from app.tenants.models import ApiKey
from app.tenants.schemas import Principal
from tests.conftest import TEST_KEY_SECRET, alembic_config, empty_database

SECRET = TEST_KEY_SECRET.encode()
DEV_KEY = re.compile(r"^Local development API key \(for /docs → Authorize\): (hs_test_\S+)$", re.M)


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@contextlib.contextmanager
def database(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_prestart_creates_the_database_and_is_safe_to_repeat(
    database_url: str, content: Content, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prestart"]) == 0
    assert f"catalogue {content.version}: loaded" in capsys.readouterr().out

    assert main(["prestart"]) == 0
    out = capsys.readouterr().out
    assert f"catalogue {content.version}: already current" in out

    with database(database_url) as session:
        count = session.exec(select(func.count()).select_from(Exercise)).one()
        assert service.list_organisations(session) == []
    assert count == len(content.exercises)
    assert "API key" not in out  # not the embedded default: no development key
    assert not dev_key_path(database_url).exists()


def test_openapi_check_passes_on_the_committed_contract(database_url: str) -> None:
    assert main(["openapi", "--check"]) == 0


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as raised:
        main(["frobnicate"])

    assert raised.value.code == 2


# --- the development key that `make run` prints ----------------------------------------------


def prestart_dev_key(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["prestart", "--dev-key"]) == 0
    match = DEV_KEY.search(capsys.readouterr().out)
    assert match is not None
    return match[1]


def test_prestart_on_the_embedded_default_prints_a_working_dev_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "DEFAULT_SQLITE_URL", database_url)
    monkeypatch.delenv("API_KEY_SECRET", raising=False)
    assert main(["prestart"]) == 0  # as a container starts: never a key in its logs
    assert DEV_KEY.search(capsys.readouterr().out) is None

    first = prestart_dev_key(capsys)
    secret = service.server_secret(get_settings())  # kept beside the database
    with database(database_url) as session:
        principal = service.authenticate(session, first, secret=secret)
    assert principal is not None
    assert principal.scopes == frozenset(Scope)
    assert stat.S_IMODE(dev_key_path(database_url).stat().st_mode) == 0o600

    assert prestart_dev_key(capsys) == first

    assert main(["revoke-key", principal.key_id]) == 0
    second = prestart_dev_key(capsys)
    assert second != first
    with database(database_url) as session:
        assert service.authenticate(session, second, secret=secret) is not None
        assert service.authenticate(session, first, secret=secret) is None


# --- organisations and keys -------------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with empty_database(backend, tmp_path_factory.mktemp("cli")) as url:
        command.upgrade(alembic_config(url), "head")
        yield url


@pytest.fixture
def keys_url(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.setenv("API_KEY_SECRET", TEST_KEY_SECRET)
    get_settings.cache_clear()
    yield migrated_url
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    assert main(argv) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def new_org(capsys: pytest.CaptureFixture[str]) -> str:
    return run(capsys, "create-org", "Acme Clinic")[0].strip()


def new_key(capsys: pytest.CaptureFixture[str], org: str, *options: str) -> str:
    return run(capsys, "create-key", "--org", org, "--scopes", "patients:read", *options)[0].strip()


def prefix(key: str) -> str:
    return key.rsplit("_", 1)[0]


def authenticate(url: str, key: str) -> Principal | None:
    with database(url) as session:
        return service.authenticate(session, key, secret=SECRET)


def key_count(url: str) -> int:
    with database(url) as session:
        return session.exec(select(func.count()).select_from(ApiKey)).one()


def test_create_org_prints_only_its_id(keys_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run(capsys, "create-org", "Acme Clinic")

    org = uuid.UUID(out.removesuffix("\n"))
    listing = run(capsys, "list-orgs")[0].splitlines()
    assert listing[0].split() == ["id", "name", "created"]
    assert any(line.startswith(f"{org}  Acme Clinic  ") for line in listing)


def test_create_key_prints_a_working_key_once(
    keys_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    org = new_org(capsys)
    before = utc_now()

    options = "--scopes plans:write,patients:read --expires-in-days 7 --name ios"

    out, err = run(capsys, "create-key", "--org", org, *options.split())

    key = out.removesuffix("\n")
    principal = authenticate(keys_url, key)
    assert principal is not None
    assert principal.organisation_id == uuid.UUID(org)
    assert principal.scopes == frozenset({Scope.patients_read, Scope.plans_write})
    assert key.startswith("hs_live_")
    assert f"{prefix(key)} (patients:read,plans:write) expires " in err
    assert "shown once; store it now" in err
    assert key not in err
    with database(keys_url) as session:
        record = session.get(ApiKey, principal.key_id)
        assert record is not None
        assert record.expires_at is not None
        assert before + timedelta(days=7) <= record.expires_at <= utc_now() + timedelta(days=7)

    listing = run(capsys, "list-keys", "--org", org)[0]
    assert re.search(rf"^{prefix(key)}\s+ios\s+patients:read,plans:write\s.*active$", listing, re.M)
    for secret in (key, key.rsplit("_", 1)[1], record.digest):
        assert secret not in listing


def test_all_scopes_and_a_test_key(keys_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    key = new_key(capsys, new_org(capsys), "--scopes", "all", "--kind", "test")

    principal = authenticate(keys_url, key)
    assert key.startswith("hs_test_")
    assert principal is not None
    assert principal.scopes == frozenset(Scope)


def key_id(key: str) -> str:
    return prefix(key).rsplit("_", 1)[1]


@pytest.mark.parametrize("name", [prefix, key_id])
def test_revoke_key_by_prefix_or_id(
    keys_url: str, capsys: pytest.CaptureFixture[str], name: Callable[[str], str]
) -> None:
    org = new_org(capsys)
    key = new_key(capsys, org)

    out, _ = run(capsys, "revoke-key", name(key))

    assert out.startswith(f"revoked {prefix(key)} at ")
    assert authenticate(keys_url, key) is None
    listing = run(capsys, "list-keys", "--org", org)[0]
    assert re.search(rf"^{prefix(key)}\s.*revoked$", listing, re.M)


def test_rotate_key_overlaps_then_replaces(
    keys_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    org = new_org(capsys)
    old = new_key(capsys, org)

    out, err = run(capsys, "rotate-key", prefix(old))

    new = out.removesuffix("\n")
    assert authenticate(keys_url, new) is not None
    assert authenticate(keys_url, old) is not None
    assert f"{prefix(new)} (patients:read) replaces {prefix(old)}, which keeps working until" in err
    assert "shown once; store it now" in err
    listing = run(capsys, "list-keys", "--org", org)[0]
    assert re.search(rf"^{prefix(old)}\s.*rotated→{prefix(new)}$", listing, re.M)
    assert re.search(rf"^{prefix(new)}\s.*active$", listing, re.M)

    newest = run(capsys, "rotate-key", key_id(new), "--overlap-hours", "0")[0].strip()

    assert authenticate(keys_url, new) is None
    assert authenticate(keys_url, newest) is not None


def test_an_unknown_scope_exits_2_and_writes_nothing(
    keys_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    org = new_org(capsys)
    before = key_count(keys_url)

    with pytest.raises(SystemExit) as raised:
        main(["create-key", "--org", org, "--scopes", "patients:read,admin"])

    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "unknown scope(s): admin; known: " in err
    assert all(scope.value in err for scope in Scope)
    assert key_count(keys_url) == before


UNKNOWN_ORG = "00000000-0000-4000-8000-000000000000"
UNKNOWN_KEY = "hs_live_000000000000"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["create-key", "--scopes", "all", "--org", UNKNOWN_ORG],
            f"No organisation {UNKNOWN_ORG}.",
        ),
        (["list-keys", "--org", UNKNOWN_ORG], f"No organisation {UNKNOWN_ORG}."),
        (["revoke-key", UNKNOWN_KEY], f"No key {UNKNOWN_KEY}."),
        (["rotate-key", UNKNOWN_KEY], f"No key {UNKNOWN_KEY}."),
    ],
)
def test_an_unknown_organisation_or_key_fails_and_writes_nothing(
    keys_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = key_count(keys_url)

    assert main(argv) == 1

    assert capsys.readouterr().err == f"hipspine: error: {message}\n"
    assert key_count(keys_url) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create-org", " "], "argument name: give 1 to 120 characters"),
        (["create-org", "x" * 121], "argument name: give 1 to 120 characters"),
        (["create-org", "Acme\x1b[2J"], "argument name: give text without control characters"),
        (
            ["create-key", "--org", UNKNOWN_ORG, "--scopes", "all", "--name", "a\x00b"],
            "argument --name: give text without control characters",
        ),
        (["create-key", "--org", "acme", "--scopes", "all"], "invalid UUID value: 'acme'"),
        (["create-key", "--org", UNKNOWN_ORG, "--scopes", "all", "--kind", "prod"], "--kind"),
        (
            ["create-key", "--org", UNKNOWN_ORG, "--scopes", "all", "--expires-in-days", "0"],
            "argument --expires-in-days: give a whole number, 1 or more",
        ),
        (
            ["rotate-key", UNKNOWN_KEY, "--overlap-hours", "-1"],
            "argument --overlap-hours: give a whole number, 0 or more",
        ),
    ],
)
def test_bad_arguments_exit_2_before_touching_the_database(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)

    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_create_key_needs_the_server_secret_off_sqlite(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checked before connecting: this database need not exist."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app@127.0.0.1:9/none")
    monkeypatch.delenv("API_KEY_SECRET", raising=False)
    get_settings.cache_clear()
    try:
        exit_code = main(["create-key", "--org", str(uuid.uuid4()), "--scopes", "all"])
    finally:
        get_settings.cache_clear()

    assert exit_code == 1
    assert "API_KEY_SECRET" in capsys.readouterr().err
