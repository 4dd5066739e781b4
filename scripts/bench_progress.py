"""Does reading a patient's progress stay flat as the log table grows? (``make bench-progress``)

On PostgreSQL, one patient has a stored plan that started 27 days ago and a log for each of its
days, made through the API. Other patients' logs are then added straight into the tables, in
steps (10,000, 100,000 and 1,000,000 rows by default, the table's total), and at each step the
two reads a clinic portal makes are timed against a real uvicorn on loopback (one worker,
sequential requests on one keep-alive connection):

- ``GET /v1/patients/{id}/logs?from=&to=`` for the last 30 days (one page), and
- ``GET /v1/patients/{id}/progress``, the progress summary.

It also prints PostgreSQL's plan (``EXPLAIN ANALYZE``) for every statement those two requests
send to ``progress_log``, captured from the app itself, so a full scan would show.

    uv run python scripts/bench_progress.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
        [--sizes 10000,100000,1000000] [--requests 300] [--markdown results.md]

The database named in the URL is only used to create (and afterwards drop) a database of its
own, ``hipspine_bench_progress``: nothing else is touched.
"""

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.assessments.examples import NO_RED_FLAGS
from app.core.db import make_engine
from app.patients import service as patients
from app.patients.schemas import PatientCreate
from app.plans.examples import REQUESTS as PLAN_EXAMPLES
from app.tenants import service as tenants
from app.tenants.keys import KeyKind, Scope
from scripts.bench import (
    HOST,
    PROJECT_ROOT,
    BenchError,
    Server,
    prepare_database,
    running_server,
    server_environment,
)

BENCH_DATABASE = "hipspine_bench_progress"
PLAN_DAYS_AGO = 27  # the plan started 27 days ago: 28 days of logs, today included
FILLER_DAYS = 100  # each other patient has this many days of logs
# PostgreSQL needs the key secret set; this one only ever signs the benchmark's own key.
KEY_SECRET = "bench-progress-secret-0123456789abcdef"
APP = Server("app", "app.main:create_app", ready_path="/readyz", factory=True, uses_database=True)


@dataclass(frozen=True)
class Timing:
    rows: int
    route: str
    p50_ms: float
    p99_ms: float


# --- the database --------------------------------------------------------------------------


@contextmanager
def bench_database(server_url: str) -> Iterator[str]:
    """A database of the benchmark's own on the given server, dropped afterwards."""
    url = make_url(server_url)
    if url.get_backend_name() != "postgresql":
        raise BenchError(
            "the progress benchmark needs PostgreSQL (--database-url postgresql+psycopg://...)"
        )
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {BENCH_DATABASE}"))
        yield url.set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
        admin.dispose()


def log_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM progress_log")).scalar_one())


def add_filler_logs(engine: Engine, total_rows: int, body: dict[str, Any]) -> None:
    """Other patients, of another organisation, each with ``FILLER_DAYS`` days of logs, until
    the table holds ``total_rows``; straight into the tables (the API would take hours)."""
    missing = total_rows - log_rows(engine)
    patients = max(0, -(-missing // FILLER_DAYS))
    if patients == 0:
        return
    with engine.begin() as connection:
        organisation = connection.execute(
            text("SELECT id FROM organisation WHERE name = 'Filler clinic'")
        ).scalar_one_or_none()
        if organisation is None:
            organisation = connection.execute(
                text(
                    "INSERT INTO organisation (id, name, created_at) "
                    "VALUES (gen_random_uuid(), 'Filler clinic', now()) RETURNING id"
                )
            ).scalar_one()
        start = int(
            connection.execute(
                text("SELECT count(*) FROM patient WHERE organisation_id = :o"), {"o": organisation}
            ).scalar_one()
        )
        connection.execute(
            text(
                "INSERT INTO patient (id, organisation_id, external_reference, attributes, version,"
                " created_at, updated_at)"
                " SELECT gen_random_uuid(), :o, 'FILLER-' || g, '{}', 1, now(), now()"
                " FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g"
            ),
            {"o": organisation, "first": start + 1, "last": start + patients},
        )
        connection.execute(
            text(
                "INSERT INTO progress_log (id, organisation_id, patient_id, log_date, body,"
                " version, created_at, updated_at)"
                " SELECT gen_random_uuid(), p.organisation_id, p.id, current_date - d,"
                " CAST(:body AS json), 1, now(), now()"
                " FROM patient AS p CROSS JOIN generate_series(0, CAST(:days AS integer) - 1) AS d"
                " WHERE p.organisation_id = :o"
                " AND CAST(substr(p.external_reference, 8) AS integer) > CAST(:start AS integer)"
            ),
            {"o": organisation, "start": start, "days": FILLER_DAYS, "body": json.dumps(body)},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE progress_log"))
        connection.execute(text("VACUUM ANALYZE patient"))


def make_tenant(engine: Engine) -> tuple[str, str]:
    """An organisation, a key with every scope and a patient; returns the key and the patient id."""
    with Session(engine) as session:
        organisation = tenants.create_organisation(session, "Benchmark clinic")
        key = tenants.create_key(
            session,
            organisation_id=organisation.id,
            scopes=list(Scope),
            secret=KEY_SECRET.encode(),
            kind=KeyKind.test,
        ).plaintext
        patient, _ = patients.create_patient(
            session, organisation.id, PatientCreate(external_reference="BENCH-1")
        )
        session.commit()  # the services only flush
        return key, str(patient.id)


# --- the patient, through the API ----------------------------------------------------------


class Client:
    """One keep-alive connection to the server, with the key."""

    def __init__(self, base_url: str, key: str) -> None:
        self._connection = http.client.HTTPConnection(base_url.removeprefix("http://"), timeout=30)
        self._headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        payload = None if body is None else json.dumps(body).encode()
        self._connection.request(method, path, body=payload, headers=self._headers)
        response = self._connection.getresponse()
        data = response.read()
        if response.status != expect:
            raise BenchError(f"{method} {path}: {response.status} {data[:500]!r}")
        return json.loads(data) if data else None

    def close(self) -> None:
        self._connection.close()


@contextmanager
def connected(base_url: str, key: str) -> Iterator[Client]:
    client = Client(base_url, key)
    try:
        yield client
    finally:
        client.close()


def log_body(pain: int, sessions: Sequence[str]) -> dict[str, Any]:
    return {
        "pain": pain,
        "hip_mobility": 6,
        "relief_movements": [],
        "sessions_done": list(sessions),
        "sharp_pain": [],
        "red_flags": NO_RED_FLAGS,
    }


def make_patient_with_logs(client: Client, patient_id: str) -> None:
    """A stored plan that started ``PLAN_DAYS_AGO`` days ago and a steady log for each day."""
    today = datetime.now(UTC).date()
    request = {
        **PLAN_EXAMPLES["desk_worker_tight_right_hip"]["value"],
        "start_date": (today - timedelta(days=PLAN_DAYS_AGO)).isoformat(),
        "time_zone": "UTC",
    }
    plan = client.call("POST", f"/v1/patients/{patient_id}/plans", request, expect=201)
    sessions = {
        day["date"]: [session["id"] for session in day["sessions"]]
        for week in plan["plan"]["weeks"]
        for day in week["days"]
    }
    for offset in range(PLAN_DAYS_AGO, -1, -1):
        day = (today - timedelta(days=offset)).isoformat()
        client.call("PUT", f"/v1/patients/{patient_id}/logs/{day}", log_body(3, sessions[day]), 201)


# --- measuring -----------------------------------------------------------------------------


def reads(patient_id: str) -> dict[str, str]:
    today = datetime.now(UTC).date()
    first = (today - timedelta(days=29)).isoformat()
    return {
        "GET logs, last 30 days": (
            f"/v1/patients/{patient_id}/logs?from_date={first}&to_date={today.isoformat()}&limit=30"
        ),
        "GET progress summary": f"/v1/patients/{patient_id}/progress",
    }


def time_reads(client: Client, patient_id: str, rows: int, requests: int) -> list[Timing]:
    timings = []
    for route, path in reads(patient_id).items():
        for _ in range(max(10, requests // 10)):  # warm up
            client.call("GET", path)
        elapsed = []
        for _ in range(requests):
            started = time.perf_counter()
            client.call("GET", path)
            elapsed.append((time.perf_counter() - started) * 1000)
        percentiles = statistics.quantiles(elapsed, n=100, method="inclusive")
        timings.append(Timing(rows, route, percentiles[49], percentiles[98]))
    return timings


def explain_reads(database_url: str, key: str, patient_id: str) -> list[str]:
    """Run the two reads in process, capture what they send to ``progress_log`` and explain it."""
    from fastapi.testclient import TestClient

    from app.core.config import Settings
    from app.main import create_app

    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "progress_log" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    engine = make_engine(database_url)
    event.listen(engine, "before_cursor_execute", capture)
    settings = Settings.model_validate(
        {"database_url": database_url, "api_key_secret": KEY_SECRET, "log_level": "WARNING"}
    )
    try:
        with TestClient(create_app(settings, engine=engine)) as client:
            for path in reads(patient_id).values():
                response = client.get(path, headers={"Authorization": f"Bearer {key}"})
                if response.status_code != 200:
                    raise BenchError(f"GET {path}: {response.status_code} {response.text[:300]}")
        event.remove(engine, "before_cursor_execute", capture)
        plans = []
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            for statement, parameters in statements:
                with raw.cursor() as cursor:
                    cursor.execute(
                        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, parameters
                    )
                    plans.append("\n".join(row[0] for row in cursor.fetchall()))
            raw.rollback()
        return plans
    finally:
        engine.dispose()


def markdown(timings: Sequence[Timing]) -> str:
    lines = ["| log rows in the table | read | p50 (ms) | p99 (ms) |", "|---:|---|---:|---:|"]
    lines += [f"| {t.rows:,} | {t.route} | {t.p50_ms:.2f} | {t.p99_ms:.2f} |" for t in timings]
    return "\n".join(lines)


def run(server_url: str, sizes: Sequence[int], requests: int) -> tuple[list[Timing], list[str]]:
    timings: list[Timing] = []
    with bench_database(server_url) as database_url, tempfile.TemporaryDirectory() as workdir:
        env = {**server_environment(database_url), "API_KEY_SECRET": KEY_SECRET}
        prepare_database(Path(workdir), env)
        engine = make_engine(database_url)
        try:
            key, patient_id = make_tenant(engine)
            with running_server(
                APP, taskset="taskset", cpu=0, env=env, workdir=Path(workdir)
            ) as base_url:
                with connected(base_url, key) as client:
                    make_patient_with_logs(client, patient_id)
                for size in sizes:
                    add_filler_logs(engine, size, log_body(4, []))
                    rows = log_rows(engine)
                    print(f"{rows:,} log rows: timing the reads", flush=True)
                    # A new connection: seeding outlasts the server's keep-alive timeout.
                    with connected(base_url, key) as client:
                        timings += time_reads(client, patient_id, rows, requests)
            plans = explain_reads(database_url, key, patient_id)
        finally:
            engine.dispose()
    return timings, plans


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server to use")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per read")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    if not 0 < args.requests <= 10_000 or not sizes or sizes[-1] > 5_000_000:
        print("requests must be 1-10000 and sizes at most 5,000,000 rows", file=sys.stderr)
        return 2
    try:
        timings, plans = run(args.database_url, sizes, args.requests)
    except BenchError as error:
        print(f"bench_progress: {error}", file=sys.stderr)
        return 1
    table = markdown(timings)
    print(table)
    print("\nPostgreSQL's plans for the reads' statements on progress_log (largest table):")
    for plan in plans:
        print(plan, end="\n\n")
    if args.markdown:
        args.markdown.write_text(table + "\n")
    print(f"host {HOST}, project {PROJECT_ROOT}, {date.today().isoformat()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
