"""The two client generators app makers use most run on the committed contract with their
default settings, without a crash or a warning, and a short, realistic usage file type-checks
strictly against what each generates: ``openapi-python-client`` (a dev dependency, so the lock
pins it) with ``mypy --strict``, and ``openapi-typescript`` with ``openapi-fetch`` (pinned in
``typescript/package-lock.json``; ``npm ci --prefix tests/clients/typescript`` installs them)
with ``tsc --strict --noEmit``."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.http.openapi import CONTRACT_PATH
from tests.conftest import require

HERE = Path(__file__).resolve().parent
TYPESCRIPT = HERE / "typescript"
NODE_BIN = TYPESCRIPT / "node_modules" / ".bin"
VENV_BIN = Path(sys.executable).parent
PYTHON_PACKAGE = "hip_spine_api_client"  # from the contract's title, "Hip-Spine API"


def run(command: list[str | Path], cwd: Path) -> str:
    """Run ``command``; its output, after checking it succeeded and warned of nothing."""
    # The venv first: openapi-python-client formats what it writes with the locked ruff.
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warn" not in output.lower(), output
    assert "error" not in output.lower(), output
    return output


def test_openapi_python_client_generates_a_client_that_type_checks(tmp_path: Path) -> None:
    generator = VENV_BIN / "openapi-python-client"
    require(generator.exists(), "openapi-python-client is missing: run `uv sync`")
    output = tmp_path / "client"

    run([generator, "generate", "--path", CONTRACT_PATH, "--output-path", output], tmp_path)

    shutil.copy(HERE / "python" / "usage.py", output / "usage.py")
    run([sys.executable, "-m", "mypy", "--strict", PYTHON_PACKAGE, "usage.py"], output)


def test_openapi_typescript_generates_types_that_type_check(tmp_path: Path) -> None:
    require(
        shutil.which("node") is not None and (NODE_BIN / "openapi-typescript").exists(),
        "Node.js or the TypeScript generator is missing: run "
        "`npm ci --prefix tests/clients/typescript`",
    )
    # TypeScript 7 breaks openapi-typescript 7.13; the lock file pins 5.
    assert run([NODE_BIN / "tsc", "--version"], tmp_path).startswith("Version 5.")

    run([NODE_BIN / "openapi-typescript", CONTRACT_PATH, "--output", "schema.d.ts"], tmp_path)

    shutil.copy(TYPESCRIPT / "usage.ts", tmp_path / "usage.ts")
    (tmp_path / "node_modules").symlink_to(TYPESCRIPT / "node_modules")
    strict = ["--strict", "--noEmit", "--target", "es2022", "--module", "esnext"]
    run([NODE_BIN / "tsc", *strict, "--moduleResolution", "bundler", "usage.ts"], tmp_path)
