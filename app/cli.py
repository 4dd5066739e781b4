"""``hipspine``: the operator's command line.

hipspine migrate            apply Alembic migrations up to head
hipspine load-catalogue     upsert the content files into the database (idempotent)
hipspine prestart           both of the above; run before starting the server
hipspine openapi [--check]  write openapi/openapi.json, or fail if it is out of date
"""

import argparse
import sys
from collections.abc import Sequence

from alembic import command
from alembic.config import Config
from sqlmodel import Session

from app.catalogue.content import load_content
from app.catalogue.service import load_catalogue
from app.config import PROJECT_ROOT, get_settings
from app.db import make_engine


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", get_settings().database_url)
    return config


def migrate() -> None:
    command.upgrade(alembic_config(), "head")


def load() -> None:
    content = load_content()
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            changed = load_catalogue(session=session, content=content)
    finally:
        engine.dispose()
    state = "loaded" if changed else "already current"
    print(f"catalogue {content.version}: {state} ({len(content.exercises)} exercises)")


def openapi(*, check: bool) -> int:
    from app.main import create_app
    from app.openapi import CONTRACT_PATH, render_contract

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hipspine", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply migrations up to head")
    commands.add_parser("load-catalogue", help="upsert the content files (idempotent)")
    commands.add_parser("prestart", help="migrate, then load the catalogue")
    contract = commands.add_parser("openapi", help="write or check openapi/openapi.json")
    contract.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)

    if args.command == "openapi":
        return openapi(check=args.check)
    if args.command in ("migrate", "prestart"):
        migrate()
    if args.command in ("load-catalogue", "prestart"):
        load()
    return 0


if __name__ == "__main__":
    sys.exit(main())
