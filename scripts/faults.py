"""Fault injection: retried idempotent creates against four workers on a private PostgreSQL,
while a worker is killed and the database is restarted and then stopped mid-load; afterwards,
count what the faults cost.

    uv run python scripts/faults.py [--clients 8] [--duration 30] [--json results.json]

Runnable by hand, not part of the test suite: it takes about a minute and needs PostgreSQL's
server binaries (``/usr/lib/postgresql/*/bin``). Everything runs on 127.0.0.1 in a temporary
folder: a PostgreSQL of its own (``initdb``, a free port; as root, it runs as the ``postgres``
user), migrated and loaded with ``hipspine prestart``, an organisation and key made with
``hipspine``, and ``uvicorn --workers 4``. The shared PostgreSQL on 5432 is never touched.

Each client thread runs "journeys" until ``--duration`` ends: create a patient (a reference of
its own), store an assessment for it, store a plan for it; each step has its own
Idempotency-Key and is retried with that key on anything that is not a final answer
(connection errors, timeouts, 5xx, 409 ``idempotency_key_in_progress``, 429), at most
``MAX_ATTEMPTS`` times. Every patient gets one assessment and one plan, so a key's rows can be
counted per patient. Status codes are recorded, never relied on: the counts come from the
database.

- **lost**: a create the client saw succeed (201) whose row is not stored;
- **doubled**: two rows for one Idempotency-Key (two patients with one reference, two
  assessments or two plans for one patient);
- **own 409**: a patient create answered ``409 duplicate_external_reference``: the reference is
  the journey's own, so only its own earlier attempt can hold it;
- **unfinished**: a step that never got a final answer within its attempts.

The exit status is 1 when anything was lost or doubled or got its own 409, or when uvicorn
stopped serving.
"""

import argparse
import concurrent.futures
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg

from app.assessments.examples import REQUESTS as ASSESSMENT_EXAMPLES
from app.patients.examples import PLAN_REQUESTS_FOR_PATIENT

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # nothing here listens or connects anywhere else
WORKERS = 4
MAX_ATTEMPTS = 80  # per step; with the pauses below, a step gives up after about a minute
REQUEST_TIMEOUT = 10.0
PG_USER = "postgres"  # the server's OS user when this runs as root (initdb refuses root)
# The contract's own examples (the suite checks them against the schemas), so the journeys keep
# up with the API: a copy here went stale when the red-flag questions grew, and every journey
# stopped at its assessment with a 422.
ANSWERS = ASSESSMENT_EXAMPLES["self_care"]["value"]
PLAN_REQUEST = PLAN_REQUESTS_FOR_PATIENT["from_latest_assessment"]["value"]
RETRIED_CODES = {"idempotency_key_in_progress", "rate_limited"}


class FaultRunError(Exception):
    """A precondition or a step of the run failed; the message says which."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise FaultRunError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)


# --- a private PostgreSQL ----------------------------------------------------------------------


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise FaultRunError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return found[-1].parent


class PrivatePostgres:
    """A throwaway cluster in ``folder`` on its own port, trust authentication on loopback."""

    def __init__(self, folder: Path) -> None:
        self.bin = postgres_bin()
        self.data = folder / "pgdata"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        folder.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(folder, user=PG_USER)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{database}"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", PG_USER, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise FaultRunError(f"{tool} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses={HOST} -k {self.data}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        options = f"-p {self.port} -c listen_addresses={HOST} -k {self.data}"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-m", "fast",
            "-w", "restart",
        )  # fmt: skip

    def create_database(self, name: str) -> None:
        with psycopg.connect(
            host=HOST, port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def private_postgres(folder: Path) -> Iterator[PrivatePostgres]:
    server = PrivatePostgres(folder)
    server.init()
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop("immediate")
        except FaultRunError:
            pass  # already stopped


# --- the app -----------------------------------------------------------------------------------


def app_environment(database_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("DATABASE_", "REDIS_", "RATE_", "ANONYMOUS_", "API_KEY"))
    }
    env.update(
        DATABASE_URL=database_url,
        API_KEY_SECRET=uuid.uuid4().hex * 2,
        RATE_LIMIT_PER_MINUTE=str(10**9),
        ANONYMOUS_RATE_LIMIT_PER_MINUTE=str(10**9),
        LOG_LEVEL="WARNING",
    )
    return env


def hipspine(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise FaultRunError(f"hipspine {args[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def prepare(env: dict[str, str]) -> str:
    """Migrate, load the catalogue and make an organisation with an all-scope key."""
    hipspine(env, "prestart")
    organisation = hipspine(env, "create-org", "Fault injection")
    return hipspine(env, "create-key", "--org", organisation, "--scopes", "all", "--kind", "test")


@contextmanager
def running_app(env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", HOST, "--port", str(port), "--workers", str(WORKERS), "--no-access-log",
        "--timeout-graceful-shutdown", "5",
    ]  # fmt: skip
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://{HOST}:{port}"
    try:
        wait_until(lambda: _ready(url), 90, "the app answering /readyz")
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def worker_pids(master: int) -> list[int]:
    """uvicorn's worker processes: the master's children that run a spawned server."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == master and b"spawn_main" in cmdline:
            pids.append(int(stat.parent.name))
    return sorted(pids)


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Step:
    kind: str  # patient, assessment, plan
    key: str
    outcomes: list[str] = field(default_factory=list)  # "201", "409 code", "ConnectError", ...
    created_id: str | None = None
    final: str | None = None  # the last answer when it was final

    @property
    def own_409(self) -> bool:
        return any(outcome == "409 duplicate_external_reference" for outcome in self.outcomes)


@dataclass
class Journey:
    reference: str
    steps: list[Step] = field(default_factory=list)
    patient_id: str | None = None


def _attempt(client: httpx.Client, path: str, body: Any, step: Step) -> bool:
    """One try; True when the answer is final (a success or a refusal not worth retrying)."""
    try:
        response = client.post(path, json=body, headers={"Idempotency-Key": step.key})
    except httpx.HTTPError as error:
        step.outcomes.append(type(error).__name__)
        return False
    code = ""
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        code = str(response.json().get("code", ""))
    step.outcomes.append(f"{response.status_code} {code}".strip())
    if response.status_code == 201:
        step.created_id = str(response.json()["id"])
        step.final = "201"
        return True
    if response.status_code >= 500 or code in RETRIED_CODES:
        return False
    step.final = step.outcomes[-1]
    return True


@dataclass
class Client:
    """One client thread: journeys until the deadline (or until the app is gone)."""

    http: httpx.Client
    run_id: str
    deadline: float
    app_running: Callable[[], bool]

    def step(self, journey: Journey, kind: str, path: str, body: Any) -> Step:
        step = Step(kind=kind, key=str(uuid.uuid4()))
        journey.steps.append(step)
        for attempt in range(MAX_ATTEMPTS):
            if _attempt(self.http, path, body, step) or not self.app_running():
                break
            time.sleep(min(0.1 * 2**attempt, 1.0) * random.uniform(0.5, 1.0))
        return step

    def journey(self, number: int) -> Journey:
        journey = Journey(reference=f"F-{self.run_id}-{number}")
        body = {"external_reference": journey.reference}
        patient = self.step(journey, "patient", "/v1/patients", body)
        if patient.created_id is None:
            return journey
        journey.patient_id = patient.created_id
        base = f"/v1/patients/{patient.created_id}"
        if self.step(journey, "assessment", f"{base}/assessments", ANSWERS).created_id:
            self.step(journey, "plan", f"{base}/plans", PLAN_REQUEST)
        return journey

    def run(self, numbers: Iterator[int], lock: threading.Lock) -> list[Journey]:
        journeys = []
        while time.monotonic() < self.deadline and self.app_running():
            with lock:
                number = next(numbers)
            journeys.append(self.journey(number))
        return journeys


def client_loop(
    url: str, key: str, client: Callable[[httpx.Client], Client], numbers: Iterator[int],
    lock: threading.Lock,
) -> list[Journey]:  # fmt: skip
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=REQUEST_TIMEOUT) as http:
        return client(http).run(numbers, lock)


# --- the faults --------------------------------------------------------------------------------


def inject_faults(
    database: PrivatePostgres, app: subprocess.Popen[bytes], start: float, outage: float
) -> list[str]:
    """Kill a worker, restart the database, then stop it for ``outage`` seconds; a log of what
    was done when."""
    done: list[str] = []

    def note(text: str) -> None:
        done.append(f"{time.monotonic() - start:5.1f}s {text}")
        print(done[-1], flush=True)

    def at(seconds: float) -> None:
        time.sleep(max(0.0, start + seconds - time.monotonic()))

    at(4)
    workers = worker_pids(app.pid)
    if not workers:
        raise FaultRunError("found no uvicorn worker to kill")
    victim = random.choice(workers)
    os.kill(victim, signal.SIGKILL)
    note(f"killed worker {victim} (SIGKILL) of {workers}")
    at(10)
    database.restart()
    note("restarted PostgreSQL (pg_ctl restart -m fast)")
    at(16)
    database.stop("immediate")
    note("stopped PostgreSQL (pg_ctl stop -m immediate)")
    time.sleep(outage)
    database.start()
    note(f"started PostgreSQL again after {outage:.0f} s")
    return done


# --- the counts --------------------------------------------------------------------------------


@dataclass
class Counts:
    journeys: int = 0
    creates_seen_succeeding: int = 0
    lost: int = 0
    doubled: int = 0
    own_409: int = 0
    unfinished: int = 0
    claims_without_response: int = 0
    app_exit_code: int | None = None  # None: uvicorn kept serving through the faults
    statuses: dict[str, int] = field(default_factory=dict)


def count(database_url: str, journeys: Sequence[Journey]) -> Counts:
    result = Counts(journeys=len(journeys))
    steps = [step for journey in journeys for step in journey.steps]
    result.statuses = dict(Counter(outcome for step in steps for outcome in step.outcomes))
    result.own_409 = sum(step.own_409 for step in steps)
    result.unfinished = sum(step.final is None for step in steps)
    seen: dict[str, set[str]] = {}
    for step in steps:
        if step.created_id is not None:
            seen.setdefault(step.kind, set()).add(step.created_id)
    result.creates_seen_succeeding = sum(len(ids) for ids in seen.values())
    references = [journey.reference for journey in journeys]
    patient_ids = [journey.patient_id for journey in journeys if journey.patient_id]
    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as connection:
        stored = {
            "patient": _ids(connection, "patient", "external_reference", references),
            "assessment": _ids(connection, "patient_assessment", "patient_id", patient_ids),
            "plan": _ids(connection, "patient_plan", "patient_id", patient_ids),
        }
        row = connection.execute(
            "SELECT COUNT(*) FROM idempotency_record WHERE status_code IS NULL"
        ).fetchone()
        result.claims_without_response = int(row[0]) if row else 0
    for kind, ids_by_owner in stored.items():
        kept = {ident for ids in ids_by_owner.values() for ident in ids}
        result.lost += len(seen.get(kind, set()) - kept)
        result.doubled += sum(len(ids) - 1 for ids in ids_by_owner.values() if len(ids) > 1)
    return result


def _ids(
    connection: psycopg.Connection[Any], table: str, owner: str, owners: Sequence[str]
) -> dict[str, list[str]]:
    """The ids of ``table``'s rows per ``owner`` value, for the given owners only."""
    rows = connection.execute(
        f"SELECT CAST({owner} AS TEXT), CAST(id AS TEXT) FROM {table} "
        f"WHERE CAST({owner} AS TEXT) = ANY(%s)",
        (list(owners),),
    ).fetchall()
    grouped: dict[str, list[str]] = {}
    for owner_value, ident in rows:
        grouped.setdefault(owner_value, []).append(ident)
    return grouped


# --- the run -----------------------------------------------------------------------------------


def run(clients: int, duration: float, outage: float, folder: Path) -> tuple[Counts, list[str]]:
    run_id = uuid.uuid4().hex[:8]
    with ExitStack() as stack:
        database = stack.enter_context(private_postgres(folder))
        database.create_database("hipspine")
        env = app_environment(database.url("hipspine"))
        key = prepare(env)
        url, app = stack.enter_context(running_app(env, folder / "app.log"))
        print(f"app on {url} ({WORKERS} workers), PostgreSQL on port {database.port}", flush=True)
        start = time.monotonic()
        numbers, lock = iter(range(10**9)), threading.Lock()
        client = partial(
            Client, run_id=run_id, deadline=start + duration, app_running=lambda: app.poll() is None
        )
        with concurrent.futures.ThreadPoolExecutor(max_workers=clients + 1) as pool:
            loads = [
                pool.submit(client_loop, url, key, client, numbers, lock) for _ in range(clients)
            ]
            faults = pool.submit(inject_faults, database, app, start, outage)
            log = faults.result(timeout=duration + 120)
            journeys = [j for load in loads for j in load.result(timeout=duration + 600)]
        print(f"load done after {time.monotonic() - start:.0f} s", flush=True)
        counts = count(database.url("hipspine"), journeys)
        counts.app_exit_code = app.poll()
        return counts, log
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


def report(counts: Counts, log: Sequence[str]) -> str:
    lines = ["faults:", *(f"  {entry}" for entry in log), "", "| outcome | count |", "|:--|--:|"]
    for name, value in asdict(counts).items():
        if name != "statuses":
            lines.append(f"| {name.replace('_', ' ')} | {value} |")
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(counts.statuses.items()))
    lines += ["", f"answers seen: {statuses}"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (30)")
    parser.add_argument("--outage", type=float, default=6, help="seconds the database is down")
    parser.add_argument("--json", type=Path, help="also write the counts here")
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs, data)")
    args = parser.parse_args(argv)
    if args.duration < 25:
        parser.error("--duration must cover the faults (25 s or more)")
    folder = Path(tempfile.mkdtemp(prefix="hipspine-faults-"))
    try:
        counts, log = run(args.clients, args.duration, args.outage, folder)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(report(counts, log))
    if args.json:
        args.json.write_text(json.dumps({"faults": log, **asdict(counts)}, indent=2) + "\n")
    failed = counts.lost or counts.doubled or counts.own_409 or counts.app_exit_code is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
