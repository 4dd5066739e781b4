"""``hipspine``: the operator's command line.

hipspine migrate            apply Alembic migrations up to head
hipspine load-catalogue     upsert the content files into the database (idempotent)
hipspine prestart [--dev-key]
                            both of the above; run before starting the server. With --dev-key
                            (as `make run` does), on the embedded default database only, it also
                            prints a local development API key
hipspine openapi [--check]  write openapi/openapi.json, or fail if it is out of date
hipspine create-org NAME    create an organisation; prints its id
hipspine list-orgs          every organisation: id, name, created
hipspine create-key --org ID --scopes a,b|all [--expires-in-days N] [--kind live|test] [--name L]
                            create an API key; prints it, once
hipspine list-keys --org ID an organisation's keys and their state (never the keys themselves)
hipspine revoke-key KEY     revoke a key, named by its id or its prefix hs_<kind>_<id>
hipspine rotate-key KEY [--overlap-hours H]
                            replace a key; prints the new one, once; the old one keeps
                            working for H hours (default 24)
"""

import argparse
import contextlib
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

from alembic import command
from alembic.config import Config
from sqlmodel import Session, select

from app.catalogue.content import load_content
from app.catalogue.service import load_catalogue
from app.core.config import DEFAULT_SQLITE_URL, PROJECT_ROOT, get_settings
from app.core.db import make_engine, utc_now
from app.core.errors import NotFound
from app.core.types import control_character_at
from app.tenants import service
from app.tenants.dev_key import dev_key_path, ensure_dev_key
from app.tenants.keys import KeyKind, Scope, key_prefix, parse_scopes
from app.tenants.models import ApiKey, usable_at
from app.tenants.service import IssuedKey, MissingKeySecret, describe_key, server_secret

_MAX_NAME = 120  # the organisation and key name columns' length


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", get_settings().database_url)
    return config


@contextlib.contextmanager
def _session() -> Iterator[Session]:
    """A session on the configured database. The services only flush: each command that writes
    commits, before it prints what it made, so nothing is shown that was not kept."""
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def migrate() -> None:
    command.upgrade(alembic_config(), "head")


def load() -> None:
    content = load_content()
    with _session() as session:
        changed = load_catalogue(session=session, content=content)
    state = "loaded" if changed else "already current"
    print(f"catalogue {content.version}: {state} ({len(content.exercises)} exercises)")


def prestart(*, dev_key: bool) -> None:
    migrate()
    load()
    # Opt-in as well as default-only: a container also runs on the default SQLite path, and must
    # not print an all-scope key into its logs.
    if dev_key and get_settings().database_url == DEFAULT_SQLITE_URL:
        print_dev_key()


def print_dev_key() -> None:
    settings = get_settings()
    secret = server_secret(settings)
    with _session() as session:
        key = ensure_dev_key(session, path=dev_key_path(settings.database_url), secret=secret)
        session.commit()
    print(f"Local development API key (for /docs → Authorize): {key}")


def openapi(*, check: bool) -> int:
    from app.http.openapi import CONTRACT_PATH, render_contract
    from app.main import create_app

    rendered = render_contract(create_app())
    if check:
        current = CONTRACT_PATH.read_text(encoding="utf-8") if CONTRACT_PATH.exists() else ""
        if current != rendered:
            print(f"{CONTRACT_PATH} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    CONTRACT_PATH.parent.mkdir(parents=True, exist_ok=True)
    CONTRACT_PATH.write_text(rendered, encoding="utf-8")
    print(f"wrote {CONTRACT_PATH}")
    return 0


def create_org(name: str) -> None:
    with _session() as session:
        organisation = service.create_organisation(session, name)
        session.commit()
        print(organisation.id)


def list_orgs() -> None:
    with _session() as session:
        rows = [
            [str(org.id), org.name, _when(org.created_at)]
            for org in service.list_organisations(session)
        ]
    _print_table(["id", "name", "created"], rows)


def create_key(
    organisation_id: uuid.UUID,
    scopes: list[Scope],
    *,
    kind: KeyKind,
    name: str,
    expires_in_days: int | None,
) -> None:
    secret = server_secret(get_settings())
    expires_at = utc_now() + timedelta(days=expires_in_days) if expires_in_days else None
    with _session() as session:
        issued = service.create_key(
            session,
            organisation_id=organisation_id,
            scopes=scopes,
            secret=secret,
            kind=kind,
            name=name,
            expires_at=expires_at,
        )
        session.commit()
        _show_once(issued, f"expires {_when(issued.record.expires_at)}")


def list_keys(organisation_id: uuid.UUID) -> None:
    now = utc_now()
    with _session() as session:
        rows = [
            [
                describe_key(key),
                key.name,
                ",".join(key.scopes),
                _when(key.created_at),
                _when(key.expires_at),
                _state(key, now),
            ]
            for key in service.list_keys(session, organisation_id)
        ]
    _print_table(["prefix", "name", "scopes", "created", "expires", "state"], rows)


def revoke_key(key: str) -> None:
    with _session() as session:
        record = service.revoke_key(session, key)
        session.commit()
        print(f"revoked {describe_key(record)} at {_when(record.revoked_at)}")


def rotate_key(key: str, *, overlap_hours: int) -> None:
    secret = server_secret(get_settings())
    with _session() as session:
        issued = service.rotate_key(
            session, key, secret=secret, overlap=timedelta(hours=overlap_hours)
        )
        session.commit()
        old = session.exec(select(ApiKey).where(ApiKey.replaced_by == issued.record.id)).one()
        _show_once(
            issued,
            f"replaces {describe_key(old)}, which keeps working until {_when(old.expires_at)}",
        )


def _show_once(issued: IssuedKey, detail: str) -> None:
    """The key alone on stdout, for scripts; what it is on stderr, for people."""
    print(issued.plaintext)
    scopes = ",".join(issued.record.scopes)
    print(
        f"{describe_key(issued.record)} ({scopes}) {detail}; shown once; store it now",
        file=sys.stderr,
    )


def _state(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.replaced_by is not None:
        return f"rotated→{key_prefix(KeyKind(key.kind), key.replaced_by)}"
    return "active" if usable_at(key, now) else "expired"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(map(len, column)) for column in zip(headers, *rows, strict=True)]
    for row in [headers, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _scopes(text: str) -> list[Scope]:
    if text.strip() == "all":
        return list(Scope)
    try:
        return parse_scopes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error} (or all)") from None


def _name(text: str) -> str:
    name = text.strip()
    if not 0 < len(name) <= _MAX_NAME:
        raise argparse.ArgumentTypeError(f"give 1 to {_MAX_NAME} characters")
    # Names are printed in listings: a control character would garble the terminal.
    if control_character_at(name) is not None:
        raise argparse.ArgumentTypeError("give text without control characters")
    return name


def _at_least(minimum: int) -> Callable[[str], int]:
    def whole_number(text: str) -> int:
        if not text.isdecimal() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"give a whole number, {minimum} or more")
        return int(text)

    return whole_number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hipspine", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply migrations up to head")
    commands.add_parser("load-catalogue", help="upsert the content files (idempotent)")
    commands.add_parser("prestart", help="migrate, then load the catalogue").add_argument(
        "--dev-key",
        action="store_true",
        help="on the embedded default database, also print a local development API key",
    )
    contract = commands.add_parser("openapi", help="write or check openapi/openapi.json")
    contract.add_argument("--check", action="store_true", help="fail if the file is stale")

    commands.add_parser("create-org", help="create an organisation").add_argument(
        "name", type=_name
    )
    commands.add_parser("list-orgs", help="list organisations")
    new_key = commands.add_parser("create-key", help="create an API key (printed once)")
    new_key.add_argument("--org", type=uuid.UUID, required=True, help="organisation id")
    new_key.add_argument(
        "--scopes", type=_scopes, required=True, help=f"a,b or all; of {', '.join(Scope)}"
    )
    new_key.add_argument("--expires-in-days", type=_at_least(1), help="default: never")
    new_key.add_argument("--kind", type=KeyKind, choices=list(KeyKind), default=KeyKind.live)
    new_key.add_argument("--name", type=_name, help="a label for listings")
    keys = commands.add_parser("list-keys", help="list an organisation's keys")
    keys.add_argument("--org", type=uuid.UUID, required=True, help="organisation id")
    revoke = commands.add_parser("revoke-key", help="revoke a key")
    revoke.add_argument("key", help="key id or prefix (hs_live_<id>)")
    rotate = commands.add_parser("rotate-key", help="replace a key (new one printed once)")
    rotate.add_argument("key", help="key id or prefix (hs_live_<id>)")
    rotate.add_argument(
        "--overlap-hours", type=_at_least(0), default=24, help="old key's grace period"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (NotFound, MissingKeySecret) as error:
        print(f"hipspine: error: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    match args.command:
        case "migrate":
            migrate()
        case "load-catalogue":
            load()
        case "prestart":
            prestart(dev_key=args.dev_key)
        case "openapi":
            return openapi(check=args.check)
        case "create-org":
            create_org(args.name)
        case "list-orgs":
            list_orgs()
        case "create-key":
            create_key(
                args.org,
                args.scopes,
                kind=args.kind,
                name=args.name or "",
                expires_in_days=args.expires_in_days,
            )
        case "list-keys":
            list_keys(args.org)
        case "revoke-key":
            revoke_key(args.key)
        case "rotate-key":
            rotate_key(args.key, overlap_hours=args.overlap_hours)
    return 0


if __name__ == "__main__":
    sys.exit(main())
