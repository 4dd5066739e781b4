"""Throughput and latency of the API against bare Starlette and bare FastAPI (``make bench``).

Every server is a real uvicorn (one worker, uvloop/httptools when installed, as in production)
on 127.0.0.1. All three run pinned to one CPU but only one is under load at a time; wrk runs
pinned to another, so client and server do not compete for a core. The app runs on a throwaway
SQLite database, migrated and loaded with ``hipspine prestart``, with its default settings: its
JSON access log included (written to a file, as a container runtime would collect it). Given a
PostgreSQL server (``--database-url`` or ``TEST_DATABASE_URL``), a second app runs the keyed
rows (and ``/healthz``) against a throwaway database created there and dropped afterwards.

    uv run python scripts/bench.py [--duration 10] [--connections 32] [--warmup 2] [--repeat 1]
                                   [--database-url postgresql+psycopg://...]
                                   [--json results.json] [--markdown results.md]

Needs ``wrk`` and ``taskset`` (util-linux) on PATH and at least two CPUs. A target is a name, the
server it hits, a method, a path and an optional JSON body (see ``TARGETS``); the method and body
reach wrk through ``scripts/wrk_report.lua``, which also reports the percentiles as JSON.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlmodel import Session

from app.assessments.examples import REQUESTS as ASSESSMENT_EXAMPLES
from app.core.config import Settings
from app.core.db import make_engine
from app.patients import service as patients
from app.patients.schemas import PatientCreate
from app.plans.examples import REQUESTS as PLAN_EXAMPLES
from app.tenants import service as tenants
from app.tenants.keys import KeyKind, Scope
from app.tenants.service import server_secret

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LUA_REPORT = PROJECT_ROOT / "scripts" / "wrk_report.lua"
HOST = "127.0.0.1"  # the benchmark only ever talks to loopback
JSON_MARKER = "BENCH_JSON "

# Settings the app reads from the environment (app.core.config.Settings), dropped from the servers'
# environment so a developer's shell cannot skew the run; DATABASE_URL is then set explicitly.
APP_SETTINGS_ENV = (
    "DATABASE_URL",
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "ACCESS_LOG",
    "CORS_ORIGINS",
    "MAX_BODY_BYTES",
    "RESPONSE_CACHE_MAX_BYTES",
    "PLAN_CACHE_MAX_BYTES",
    "CATALOGUE_MAX_AGE_SECONDS",
    "CATALOGUE_REFRESH_SECONDS",
    "API_KEY_SECRET",
    "API_KEY_CACHE_SECONDS",
    "REDIS_URL",
    "RATE_LIMIT_PER_MINUTE",
    "ANONYMOUS_RATE_LIMIT_PER_MINUTE",
    "IDEMPOTENCY_TTL_HOURS",
    "IDEMPOTENCY_PURGE_SECONDS",
)
# A benchmark measures throughput, not refusals: the limits are set out of reach, while the
# in-memory limiter still counts every request, as it would in production.
UNREACHABLE_RATE_LIMIT = str(10**9)


class BenchError(Exception):
    """A precondition or a run failed; the message says what to do."""


@dataclass(frozen=True)
class Server:
    name: str
    app: str  # uvicorn import string
    ready_path: str
    factory: bool = False
    uses_database: bool = False
    settings: tuple[tuple[str, str], ...] = ()  # app settings for this server only
    postgres: bool = False  # on the PostgreSQL database, run only when one is given


@dataclass(frozen=True)
class Target:
    name: str
    server: str  # a Server.name
    path: str
    method: str = "GET"
    json_body: Any = None  # sent as application/json when not None
    # Calls a tenant route: the path may name {patient_id}; the key goes in Authorization.
    tenant: bool = False
    auth_headers: tuple[tuple[str, str], ...] = ()
    # Replaced in the body by a value unique to each request (scripts/wrk_report.lua), for
    # creates whose bodies must differ.
    unique_placeholder: str | None = None

    def body_bytes(self) -> bytes | None:
        return None if self.json_body is None else json.dumps(self.json_body).encode()

    def headers(self) -> dict[str, str]:
        content = {} if self.json_body is None else {"Content-Type": "application/json"}
        return {**content, **dict(self.auth_headers)}

    def for_tenant(self, fixtures: "Mapping[str, TenantFixture]") -> "Target":
        if not self.tenant:
            return self
        fixture = fixtures.get(self.server)
        if fixture is None:
            raise BenchError(f"{self.name} needs the app's database")
        return replace(
            self,
            path=self.path.format(patient_id=fixture.patient_id),
            auth_headers=(("Authorization", f"Bearer {fixture.key}"),),
        )


@dataclass(frozen=True)
class TenantFixture:
    key: str
    patient_id: str


SERVERS = (
    Server("starlette", "scripts.bench_refs:starlette_app", ready_path="/"),
    Server("fastapi", "scripts.bench_refs:fastapi_app", ready_path="/"),
    Server("app", "app.main:create_app", ready_path="/readyz", factory=True, uses_database=True),
    # The same app with its per-request JSON access log on (ACCESS_LOG=true), to show its cost.
    Server(
        "app-logged",
        "app.main:create_app",
        ready_path="/readyz",
        factory=True,
        uses_database=True,
        settings=(("ACCESS_LOG", "true"),),
    ),
    # The same app on PostgreSQL (--database-url or TEST_DATABASE_URL), for the keyed rows.
    Server(
        "app-postgres",
        "app.main:create_app",
        ready_path="/readyz",
        factory=True,
        uses_database=True,
        postgres=True,
    ),
)

SERVER_BY_NAME = {server.name: server for server in SERVERS}

# The baselines come first: every other row is compared with them.
BASELINE_STARLETTE = "bare Starlette /"
BASELINE_FASTAPI = "bare FastAPI /"
TARGETS = (
    Target(BASELINE_STARLETTE, "starlette", "/"),
    Target(BASELINE_FASTAPI, "fastapi", "/"),
    Target("app GET /v1/exercises", "app", "/v1/exercises"),
    Target("app GET /v1/exercises?limit=50", "app", "/v1/exercises?limit=50"),
    Target("app GET /v1/catalogue", "app", "/v1/catalogue"),
    Target(
        "app GET /v1/exercises?category=strength&target=glutes",
        "app",
        "/v1/exercises?category=strength&target=glutes",
    ),
    Target("app GET /healthz", "app", "/healthz"),
    Target("app, access log on: GET /v1/exercises", "app-logged", "/v1/exercises"),
    Target("app, access log on: GET /v1/catalogue", "app-logged", "/v1/catalogue"),
    Target("app GET /v1/patients/{id} (API key)", "app", "/v1/patients/{patient_id}", tenant=True),
    Target(
        "app POST /v1/patients (API key)",
        "app",
        "/v1/patients",
        "POST",
        {"external_reference": "BENCH-UNIQUE"},
        tenant=True,
        unique_placeholder="UNIQUE",
    ),
    Target(
        "app POST /v1/assessments/score",
        "app",
        "/v1/assessments/score",
        "POST",
        ASSESSMENT_EXAMPLES["self_care"]["value"],
    ),
    Target(
        "app POST /v1/plans/preview",
        "app",
        "/v1/plans/preview",
        "POST",
        PLAN_EXAMPLES["desk_worker_tight_right_hip"]["value"],
    ),
    Target("app on PostgreSQL: GET /healthz", "app-postgres", "/healthz"),
    Target(
        "app on PostgreSQL: GET /v1/patients/{id} (API key)",
        "app-postgres",
        "/v1/patients/{patient_id}",
        tenant=True,
    ),
    Target(
        "app on PostgreSQL: POST /v1/patients (API key)",
        "app-postgres",
        "/v1/patients",
        "POST",
        {"external_reference": "BENCH-UNIQUE"},
        tenant=True,
        unique_placeholder="UNIQUE",
    ),
)


@dataclass
class Result:
    target: str
    method: str
    path: str
    requests: int
    duration_s: float
    requests_per_s: float
    bytes_per_response: float
    latency_ms: dict[str, float]
    errors: dict[str, int]
    runs_requests_per_s: list[float] = field(default_factory=list)
    ratio_to_starlette: float | None = None
    ratio_to_fastapi: float | None = None


@dataclass
class Options:
    duration: int
    connections: int
    warmup: int
    repeat: int
    server_cpu: int
    client_cpu: int
    json_path: Path | None
    markdown_path: Path | None
    only: list[str] = field(default_factory=list)
    database_url: str | None = None  # a PostgreSQL server for the app-postgres rows


# --- preconditions --------------------------------------------------------------------------


def require_tools(options: Options) -> tuple[str, str]:
    wrk = shutil.which("wrk")
    taskset = shutil.which("taskset")
    if wrk is None:
        raise BenchError("wrk not found on PATH: install it (Debian/Ubuntu: apt-get install wrk)")
    if taskset is None:
        raise BenchError(
            "taskset not found on PATH: install util-linux (Debian/Ubuntu: apt-get install "
            "util-linux)"
        )
    cpus = os.sched_getaffinity(0)
    for role, cpu in (("server", options.server_cpu), ("client", options.client_cpu)):
        if cpu not in cpus:
            raise BenchError(f"--{role}-cpu {cpu} is not available (usable CPUs: {sorted(cpus)})")
    if options.server_cpu == options.client_cpu:
        raise BenchError("--server-cpu and --client-cpu must differ: wrk would steal the core")
    return wrk, taskset


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def server_environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in APP_SETTINGS_ENV}
    env["DATABASE_URL"] = database_url
    env["RATE_LIMIT_PER_MINUTE"] = env["ANONYMOUS_RATE_LIMIT_PER_MINUTE"] = UNREACHABLE_RATE_LIMIT
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def prepare_database(workdir: Path, env: Mapping[str, str]) -> None:
    hipspine = Path(sys.executable).parent / "hipspine"
    command = [str(hipspine)] if hipspine.is_file() else [sys.executable, "-m", "app.cli"]
    result = subprocess.run(
        [*command, "prestart"],
        env=dict(env),
        cwd=workdir,  # no stray .env file is read
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"hipspine prestart failed:\n{result.stdout}{result.stderr}")
    print(result.stdout.strip() or "database ready", flush=True)


def prepare_tenant(database_url: str, api_key_secret: str | None = None) -> TenantFixture:
    """An organisation, a key and a patient, made with the app's own services; the key hash
    uses the same server secret the app will (``api_key_secret``, or on SQLite the file beside
    the database)."""
    settings = Settings.model_validate(
        {"database_url": database_url, "api_key_secret": api_key_secret}
    )
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            organisation = tenants.create_organisation(session, "Benchmark clinic")
            key = tenants.create_key(
                session,
                organisation_id=organisation.id,
                scopes=list(Scope),
                secret=server_secret(settings),
                kind=KeyKind.test,
            ).plaintext
            patient, _ = patients.create_patient(
                session, organisation.id, PatientCreate(external_reference="BENCH-1")
            )
            session.commit()  # the services only flush
            return TenantFixture(key=key, patient_id=str(patient.id))
    finally:
        engine.dispose()


@contextmanager
def throwaway_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of ``server_url``, dropped afterwards."""
    url = make_url(server_url)
    if url.get_backend_name() != "postgresql":
        raise BenchError(f"--database-url must be a PostgreSQL URL, not {url.get_backend_name()}")
    if url.host not in (None, "", HOST, "localhost", "::1"):
        raise BenchError("the benchmark only talks to loopback: use a PostgreSQL on 127.0.0.1")
    name = f"hipspine_bench_{secrets.token_hex(6)}"
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --- servers -------------------------------------------------------------------------------


@contextmanager
def running_server(
    server: Server,
    *,
    taskset: str,
    cpu: int,
    env: Mapping[str, str],
    workdir: Path,
    startup_timeout: float = 30.0,
) -> Iterator[str]:
    """Start uvicorn for ``server`` and yield its base URL; always stop it on exit."""
    port = free_port()
    command = [
        taskset, "-c", str(cpu),
        sys.executable, "-m", "uvicorn", server.app,
        *(["--factory"] if server.factory else []),
        "--host", HOST, "--port", str(port),
        "--app-dir", str(PROJECT_ROOT),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    log_path = workdir / f"{server.name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=dict(env),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,  # a file, never a pipe: nobody reads a pipe during the run
        )
        base_url = f"http://{HOST}:{port}"
        try:
            wait_until_ready(process, base_url + server.ready_path, log_path, startup_timeout)
            yield base_url
        finally:
            stop(process)
    check_log(server, log_path)


def wait_until_ready(
    process: "subprocess.Popen[bytes]", url: str, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise BenchError(f"server exited with {process.returncode}:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=1.0) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"{url} not ready within {timeout:.0f} s:\n{tail(log_path)}")
        time.sleep(0.1)


def stop(process: "subprocess.Popen[bytes]") -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def check_log(server: Server, log_path: Path) -> None:
    """Report errors the server logged during the run (the access log lines are expected)."""
    problems = [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if re.search(r'"level": "(ERROR|CRITICAL)"|Traceback|^ERROR', line)
    ]
    if problems:
        print(f"warning: {server.name} logged {len(problems)} error line(s), e.g.:", flush=True)
        print("  " + problems[0][:300], flush=True)


# --- load ----------------------------------------------------------------------------------


def check_target(base_url: str, target: Target) -> None:
    """One request first: a benchmark of 404s or 422s would measure the wrong thing."""
    request = urllib.request.Request(
        base_url + target.path,
        data=target.body_bytes(),
        headers=target.headers(),
        method=target.method,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise BenchError(f"{target.name}: {target.method} {target.path} -> {exc.code}") from exc


def run_wrk(
    wrk: str,
    taskset: str,
    options: Options,
    base_url: str,
    target: Target,
    duration: int,
) -> dict[str, Any]:
    body = target.body_bytes()
    env = {
        **os.environ,
        "BENCH_METHOD": target.method,
        "BENCH_BODY": body.decode() if body is not None else "",
        "BENCH_UNIQUE": target.unique_placeholder or "",
        "BENCH_RUN": secrets.token_hex(4),  # each wrk run makes values no other run made
    }
    header_args = [
        arg for name, value in target.headers().items() for arg in ("-H", f"{name}: {value}")
    ]
    command = [
        taskset, "-c", str(options.client_cpu),
        wrk, "-t1", f"-c{options.connections}", f"-d{duration}s", "--timeout", "5s",
        "--latency", "-s", str(LUA_REPORT), *header_args,
        base_url + target.path,
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{target.name}: wrk did not finish within {duration + 30} s") from exc
    if result.returncode != 0:
        raise BenchError(f"{target.name}: wrk failed:\n{result.stdout}{result.stderr}")
    for line in result.stdout.splitlines():
        if line.startswith(JSON_MARKER):
            report: dict[str, Any] = json.loads(line[len(JSON_MARKER) :])
            return report
    raise BenchError(f"{target.name}: no report from {LUA_REPORT.name}:\n{result.stdout}")


def measure(wrk: str, taskset: str, options: Options, base_url: str, target: Target) -> Result:
    report = run_wrk(wrk, taskset, options, base_url, target, options.duration)
    requests = int(report["requests"])
    if requests == 0:
        raise BenchError(f"{target.name}: wrk completed no request")
    latency = {k: round(v / 1000, 3) for k, v in report["latency_us"].items()}
    result = Result(
        target=target.name,
        method=target.method,
        path=target.path,
        requests=requests,
        duration_s=round(float(report["duration_s"]), 3),
        requests_per_s=round(float(report["requests_per_s"]), 1),
        bytes_per_response=round(int(report["bytes"]) / requests, 1),
        latency_ms=latency,
        errors={k: int(v) for k, v in report["errors"].items()},
    )
    print(
        f"  {target.name}: {result.requests_per_s:,.0f} req/s, p50 {latency['p50']:.2f} ms, "
        f"p99 {latency['p99']:.2f} ms",
        flush=True,
    )
    return result


def median_run(runs: Sequence[Result]) -> Result:
    """The run with the median throughput (its latencies too), errors summed over all runs."""
    ordered = sorted(runs, key=lambda r: r.requests_per_s)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.runs_requests_per_s = [r.requests_per_s for r in runs]
    chosen.errors = {k: sum(r.errors[k] for r in runs) for k in chosen.errors}
    return chosen


# --- report --------------------------------------------------------------------------------


def add_ratios(results: Sequence[Result], runs: Mapping[str, Sequence[Result]]) -> None:
    """Each target's throughput against each baseline: the median, over the rounds, of the
    ratio between the target's run and the baseline's run of the same round. On a shared
    machine whose speed drifts from round to round, a round's two runs move together, where
    the ratio of two medians would pair runs from different rounds."""
    for result in results:
        result.ratio_to_starlette = _median_ratio(runs[result.target], runs.get(BASELINE_STARLETTE))
        result.ratio_to_fastapi = _median_ratio(runs[result.target], runs.get(BASELINE_FASTAPI))


def _median_ratio(target: Sequence[Result], baseline: Sequence[Result] | None) -> float | None:
    if not baseline:
        return None
    ratios = [t.requests_per_s / b.requests_per_s for t, b in zip(target, baseline, strict=True)]
    return round(statistics.median_low(ratios), 3)  # a run's ratio, as median_run picks a run


HEADERS = ("target", "req/s", "p50 ms", "p99 ms", "vs Starlette", "vs FastAPI", "bytes/resp")


def table_rows(results: Sequence[Result]) -> list[tuple[str, ...]]:
    def ratio(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}x"

    return [
        (
            r.target,
            f"{r.requests_per_s:,.0f}",
            f"{r.latency_ms['p50']:.2f}",
            f"{r.latency_ms['p99']:.2f}",
            ratio(r.ratio_to_starlette),
            ratio(r.ratio_to_fastapi),
            f"{r.bytes_per_response:,.0f}",
        )
        for r in results
    ]


def text_table(results: Sequence[Result]) -> str:
    rows = [HEADERS, *table_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]

    def line(row: Sequence[str]) -> str:
        cells = [
            row[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
        ]
        return "  ".join(cells)

    return "\n".join(
        [line(HEADERS), "  ".join("-" * w for w in widths)] + [line(r) for r in rows[1:]]
    )


def markdown_table(results: Sequence[Result], environment: Mapping[str, Any]) -> str:
    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join([":---", *["---:"] * (len(HEADERS) - 1)]) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
    lines.append("")
    lines.append(
        f"Median of {environment['repeat']} run(s) of wrk -t1 -c{environment['connections']} "
        f"-d{environment['duration_s']}s on CPU "
        f"{environment['client_cpu']}; one uvicorn worker on CPU {environment['server_cpu']} "
        f"(Python {environment['python']}, uvicorn {environment['uvicorn']}, "
        f"FastAPI {environment['fastapi']}, Starlette {environment['starlette']}, "
        f"loop {environment['loop']}, http {environment['http']}); the app on SQLite with its "
        "default settings (access log off) unless the row says otherwise. A ratio is the median, "
        "over the rounds, of the row's run against the baseline's run of the same round."
    )
    return "\n".join(lines) + "\n"


def describe_environment(options: Options) -> dict[str, Any]:
    def installed(module: str) -> bool:
        try:
            __import__(module)
        except ImportError:
            return False
        return True

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "uvicorn": version("uvicorn"),
        "fastapi": version("fastapi"),
        "starlette": version("starlette"),
        "loop": "uvloop" if installed("uvloop") else "asyncio",
        "http": "httptools" if installed("httptools") else "h11",
        "duration_s": options.duration,
        "warmup_s": options.warmup,
        "repeat": options.repeat,
        "connections": options.connections,
        "wrk_threads": 1,
        "server_cpu": options.server_cpu,
        "client_cpu": options.client_cpu,
        "workers": 1,
    }


# --- main ----------------------------------------------------------------------------------


def run(options: Options) -> list[Result]:
    """Start every server at once (idle ones cost nothing), then measure the targets in rounds.

    Rounds interleave the targets, so a burst of background load on a shared machine lands on
    one run of each rather than on every run of one target; each target reports its median run.
    """
    wrk, taskset = require_tools(options)
    targets = [
        t
        for t in TARGETS
        if (not options.only or t.server in options.only)
        and (options.database_url is not None or not SERVER_BY_NAME[t.server].postgres)
    ]
    servers = [s for s in SERVERS if any(t.server == s.name for t in targets)]
    warn_if_busy()
    runs: dict[str, list[Result]] = {t.name: [] for t in targets}
    with tempfile.TemporaryDirectory(prefix="hipspine-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        env = server_environment(f"sqlite:///{workdir / 'bench.db'}")
        environments = {s.name: {**env, **dict(s.settings)} for s in servers}
        tenants_by_server: dict[str, TenantFixture] = {}
        if any(s.uses_database and not s.postgres for s in servers):
            prepare_database(workdir, env)
            sqlite_tenant = prepare_tenant(env["DATABASE_URL"])
            for server in servers:
                if server.uses_database and not server.postgres:
                    tenants_by_server[server.name] = sqlite_tenant
        for server in servers:
            if server.postgres:
                assert options.database_url is not None
                url = stack.enter_context(throwaway_postgres_database(options.database_url))
                secret = secrets.token_urlsafe(32)
                pg_env = {
                    **environments[server.name],
                    "DATABASE_URL": url,
                    "API_KEY_SECRET": secret,
                }
                environments[server.name] = pg_env
                prepare_database(workdir, pg_env)
                tenants_by_server[server.name] = prepare_tenant(url, secret)
        targets = [target.for_tenant(tenants_by_server) for target in targets]
        base_urls: dict[str, str] = {}
        for server in servers:
            print(f"starting {server.name}: {server.app}", flush=True)
            base_urls[server.name] = stack.enter_context(
                running_server(
                    server,
                    taskset=taskset,
                    cpu=options.server_cpu,
                    env=environments[server.name],
                    workdir=workdir,
                )
            )
        for target in targets:
            check_target(base_urls[target.server], target)
            if options.warmup > 0:
                run_wrk(wrk, taskset, options, base_urls[target.server], target, options.warmup)
        for round_number in range(1, options.repeat + 1):
            print(f"round {round_number}/{options.repeat}", flush=True)
            for target in targets:
                result = measure(wrk, taskset, options, base_urls[target.server], target)
                runs[target.name].append(result)
    results = [median_run(runs[t.name]) for t in targets]
    add_ratios(results, runs)
    return results


def warn_if_busy() -> None:
    load = os.getloadavg()[0]
    if load > 0.5:
        print(
            f"warning: 1-minute load average is {load:.2f}; other work on this machine will make "
            "the numbers noisy (consider --repeat 3)",
            flush=True,
        )


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per target (10)")
    parser.add_argument("--connections", type=int, default=32, help="open connections (32)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per target (2)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per target; the median is reported (1)"
    )
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for uvicorn (0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="CPU for wrk (1)")
    parser.add_argument("--json", type=Path, dest="json_path", help="write results as JSON")
    parser.add_argument("--markdown", type=Path, dest="markdown_path", help="write a table")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=[s.name for s in SERVERS],
        help="benchmark only this server's targets (repeatable); ratios need the baselines",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (on loopback) for the keyed rows: a throwaway database is "
        "created there and dropped afterwards (default: TEST_DATABASE_URL, if set)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be 1..600 seconds")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be 0..60 seconds")
    if not 1 <= args.repeat <= 20:
        parser.error("--repeat must be 1..20")
    if not 1 <= args.connections <= 10_000:
        parser.error("--connections must be 1..10000")
    database_url = args.database_url or os.environ.get("TEST_DATABASE_URL") or None
    return Options(
        database_url=database_url,
        duration=args.duration,
        connections=args.connections,
        warmup=args.warmup,
        repeat=args.repeat,
        server_cpu=args.server_cpu,
        client_cpu=args.client_cpu,
        json_path=args.json_path,
        markdown_path=args.markdown_path,
        only=args.only,
    )


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        results = run(options)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    environment = describe_environment(options)
    print()
    print(text_table(results))
    failed = [r for r in results if any(r.errors.values())]
    for r in failed:
        print(f"warning: {r.target}: errors {r.errors}", file=sys.stderr)
    if options.json_path is not None:
        document = {"environment": environment, "results": [asdict(r) for r in results]}
        write(options.json_path, json.dumps(document, indent=2) + "\n")
    if options.markdown_path is not None:
        write(options.markdown_path, markdown_table(results, environment))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
