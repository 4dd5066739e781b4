"""`hipspine` as `make run` uses it: prestart twice is safe; the contract check works."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.catalogue.content import Content
from app.catalogue.models import Exercise
from app.cli import main
from app.config import get_settings
from app.db import make_engine


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_prestart_creates_the_database_and_is_safe_to_repeat(
    database_url: str, content: Content, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prestart"]) == 0
    assert f"catalogue {content.version}: loaded" in capsys.readouterr().out

    assert main(["prestart"]) == 0
    assert f"catalogue {content.version}: already current" in capsys.readouterr().out

    engine = make_engine(database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Exercise)).one()
    engine.dispose()
    assert count == len(content.exercises)


def test_openapi_check_passes_on_the_committed_contract(database_url: str) -> None:
    assert main(["openapi", "--check"]) == 0


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as raised:
        main(["frobnicate"])

    assert raised.value.code == 2
