"""The import rules in pyproject.toml cover every domain: a domain folder added later gets its
public-surface contract, or this fails (``lint-imports`` in ``make test`` checks the rules)."""

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = {"core", "http"}


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _domains() -> set[str]:
    return {
        path.parent.name
        for path in (ROOT / "app").glob("*/__init__.py")
        if path.parent.name not in PLATFORM
    }


def test_every_domain_keeps_its_submodules_to_itself() -> None:
    protected = {
        module.removeprefix("app.").removesuffix(".*")
        for contract in _contracts()
        if contract["type"] == "protected"
        for module in contract["protected_modules"]
    }
    assert protected == _domains()


def test_every_domain_sits_in_the_domain_layer() -> None:
    (layers,) = (c["layers"] for c in _contracts() if c["type"] == "layers")
    domain_layer = {name.strip(" ()").removeprefix("app.") for name in layers[1].split(":")}
    assert _domains() <= domain_layer
    assert layers[2:] == ["app.http", "app.core"]
