"""Engine, constraint naming convention and timestamps, and ``Reads`` for the single-statement
reads outside a unit of work. The request's session, its one transaction, is
``app.http.dependencies.get_session``.

Alembic owns the schema: nothing here creates tables.
"""

import asyncio
import contextlib
import json
import select
import shlex
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

import asyncpg
import psycopg
from sqlalchemy import (
    URL,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Select,
    TypeDecorator,
    event,
    make_url,
    text,
)
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel, create_engine

# Set before any table model is imported, so every constraint gets a stable, predictable name
# from the first migration on (Alembic can then drop and alter them on every backend).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """Now, in UTC, to the microsecond both backends keep."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every backend.

    SQLite keeps no offset, so a plain ``DateTime(timezone=True)`` reads back naive there and
    aware on PostgreSQL; comparing the two raises. Values are stored in UTC and always read
    back aware, so expiry checks and RFC 3339 output behave the same on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC timestamp")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs; hand transaction
    # control to SQLAlchemy (the documented recipe) and enforce foreign keys.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Write-ahead logging: readers never wait for the writer nor it for them, and a commit is
    # one append. (Kept in the file; an in-memory database answers "memory" and stays so.)
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    connection.exec_driver_sql(f"BEGIN {connection.get_execution_options().get(_BEGIN, '')}")


# A deferred SQLite transaction that reads and then writes must upgrade its lock, and SQLite
# refuses that at once ("database is locked") while another writer is active, rather than
# waiting for the busy timeout. Requests that write therefore begin IMMEDIATE, taking the write
# lock up front and queueing behind each other; reads stay deferred and never wait for writers.
_BEGIN = "sqlite_begin"


def engine_for_writes(engine: Engine) -> Engine:
    """The same engine and pool, its SQLite transactions begun IMMEDIATE: for requests that
    will write (see above; PostgreSQL ignores the option)."""
    return engine.execution_options(**{_BEGIN: "IMMEDIATE"})


def engine_for_reads(engine: Engine) -> Engine:
    """The same engine (and pool), for requests that only read. On PostgreSQL they run in
    autocommit: at its READ COMMITTED default each statement sees a fresh snapshot anyway, and
    a read then costs no BEGIN and no COMMIT round trip. SQLite keeps its deferred
    transaction, which costs no round trip, and gives a read one snapshot."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


# How long a connection waits for SQLite's write lock (its busy timeout), and for a connection
# from the pool: the same bound, so whichever a request meets it waits as long.
WAIT_SECONDS = 30
# Requests hold at most ``POOL_SIZE`` connections at once (``units_of_work``), so the pool keeps
# every connection they use: QueuePool closes an overflow connection when it is given back, and
# requests that ran on overflow (SQLAlchemy's defaults: 5 kept, 10 more) paid a new connection,
# and PostgreSQL a new backend process, on most checkouts under load. The overflow is left for
# what takes connections without a place among the requests: the background jobs, the probes
# and, on SQLite, ``Reads`` (at most the default executor's few threads at once).
POOL_SIZE = 10
MAX_OVERFLOW = 5


def make_engine(url: str) -> Engine:
    pool: dict[str, Any] = {
        "pool_size": POOL_SIZE,
        "max_overflow": MAX_OVERFLOW,
        "pool_timeout": WAIT_SECONDS,
    }
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        else:
            pool = {}  # an in-memory database keeps SQLAlchemy's one-connection pool
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": WAIT_SECONDS}, **pool
        )
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    engine = create_engine(url, **pool)
    event.listen(engine, "checkout", _drop_if_closed_by_the_server)
    return engine


# The connections ``Reads`` keeps on PostgreSQL, beside the pool above: a read holds one for a
# single statement, and requests wait for one on the event loop, so a few serve a worker's
# reads. (Four workers then hold at most 4 × (15 + 5) = 80 of PostgreSQL's 100 by default.)
READ_POOL_SIZE = 5


class Record(Protocol):
    """A row of a ``Reads`` statement: its columns, by name, as attributes."""

    def __getattr__(self, name: str) -> Any: ...


class Reads:
    """Single ``SELECT`` statements, each on a connection of its own outside the request's unit
    of work: for the keyed reads that clients make most (a key's record, a patient), which need
    no transaction, no session and no ORM.

    SQLAlchemy builds each statement and compiles it once; the column types process the values
    read, as they would through SQLAlchemy. On PostgreSQL asyncpg then runs it on the event
    loop, outside any transaction, on a connection of ``_Connections``, as a statement it
    prepared on that connection the first time: no thread hop, no BEGIN/COMMIT round trip and
    none of SQLAlchemy's per-execution work. Measured in process on a keyed patient read (CPU a
    request): 0.60 ms with the ORM in the request's session and a thread hop; 0.42 ms with
    SQLAlchemy's asyncio engine; 0.28 ms with psycopg's async driver directly. A statement
    alone took 70 µs of the worker's CPU with psycopg's async driver and 27 µs with asyncpg.
    SQLite answers in process with no network wait, but its calls block, so there a read runs
    through SQLAlchemy in a worker thread.

    The main engine keeps psycopg: its units of work run in threads, where asyncpg cannot.
    Each statement is compiled once and kept: pass statements built once (module constants
    with bound parameters), never one built for each call. A connection that fails or is lost
    raises SQLAlchemy's ``OperationalError``, as the main engine's would: a 503.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine_for_reads(engine)
        self._dialect: Dialect = engine.dialect
        self._compiled: dict[Select[Any], _Compiled] = {}
        self._connections: _Connections | None = None
        if engine.dialect.name == "postgresql":
            self._dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
            self._connections = _Connections(
                *_asyncpg_target(engine.url), size=READ_POOL_SIZE, wait_seconds=WAIT_SECONDS
            )

    async def first(
        self, statement: Select[Any], parameters: Mapping[str, object]
    ) -> Record | None:
        # Compiled on either backend, so a statement Reads cannot run fails on both alike.
        compiled = self._compiled.get(statement) or self._compile(statement)
        if self._connections is None:
            return await asyncio.to_thread(self._first_in_thread, statement, parameters)
        arguments = compiled.arguments(parameters)  # a bad value costs no connection
        try:
            async with self._connections.connection() as connection:
                values = await connection.fetchrow(compiled.sql, *arguments)
        except _CONNECTION_FAILURES as exc:
            raise OperationalError(compiled.sql, None, exc) from exc
        return None if values is None else compiled.record(values)

    def _first_in_thread(
        self, statement: Select[Any], parameters: Mapping[str, object]
    ) -> Record | None:
        with self._engine.connect() as connection:
            return connection.execute(statement, parameters).first()

    def _compile(self, statement: Select[Any]) -> "_Compiled":
        """The statement's SQL and what SQLAlchemy would do around it: its column types
        process each parameter (``UtcDateTime`` refuses a naive datetime, say) and each value
        read. Only statements whose parameters all come from the caller are run this way: a
        value the statement holds itself (``.limit(1)``) would need SQLAlchemy to send it."""
        dialect = self._dialect
        compiled = statement.compile(dialect=dialect)
        held = sorted(name for name, bind in compiled.binds.items() if not bind.required)
        if held:
            raise ValueError(f"Reads takes every parameter from the caller; {held} are not")
        columns = list(statement.selected_columns)
        record = namedtuple("Record", [column.key for column in columns])  # type: ignore[misc]
        readers = [_processor(column.type, dialect, reading=True) for column in columns]
        binders = {
            name: binder
            for name, bind in compiled.binds.items()
            if (binder := _processor(bind.type, dialect, reading=False)) is not None
        }

        order = compiled.positiontup or []

        def arguments(given: Mapping[str, object]) -> list[object]:
            """The parameters in the order of the statement's ``$n`` placeholders."""
            return [
                binders[name](given[name]) if name in binders else given[name] for name in order
            ]

        def make(values: Iterable[Any]) -> Record:
            processed = (
                value if read is None else read(value)
                for read, value in zip(readers, values, strict=True)
            )
            return cast(Record, record._make(processed))

        self._compiled[statement] = _Compiled(str(compiled), arguments, make)
        return self._compiled[statement]

    async def dispose(self) -> None:
        if self._connections is not None:
            await self._connections.close()


class _Compiled(NamedTuple):
    sql: str
    arguments: Callable[[Mapping[str, object]], list[object]]
    record: Callable[[Iterable[Any]], Record]


def _processor(
    type_: TypeEngine[Any], dialect: Dialect, *, reading: bool
) -> Callable[[Any], Any] | None:
    implementation = type_.dialect_impl(dialect)
    if reading:
        return implementation.result_processor(dialect, None)
    return implementation.bind_processor(dialect)


# What says the server cannot serve a statement now: refused, reset or lost connections
# (asyncpg raises the socket's own errors), the server shutting down or starting up (class 57),
# too many connections (class 53), a connection failure it reported (class 08). Any failure to
# open a connection is one too (``_Connections._opened``), as it is for the main engine.
_CONNECTION_FAILURES = (
    OSError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)

# libpq's options for tuning its own connection, which psycopg takes in the URL and asyncpg
# does not: it would send them to the server as settings, and every connect would fail. The
# main engine keeps them; reads, short and on kept connections, go without.
_LIBPQ_ONLY_OPTIONS = frozenset(
    {
        "connect_timeout",  # a read's connect is bounded by WAIT_SECONDS
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "client_encoding",  # asyncpg speaks UTF-8
        "fallback_application_name",
    }
)


def _server_settings(options: str) -> dict[str, str]:
    """libpq's ``options``: ``-c name=value``, ``-cname=value`` or ``--name=value`` each."""
    settings: dict[str, str] = {}
    words = iter(shlex.split(options))
    for word in words:
        setting = next(words, "") if word == "-c" else word.removeprefix("-c").removeprefix("--")
        name, equals, value = setting.partition("=")
        if not word.startswith("-") or not name or not equals:
            raise ValueError(f"DATABASE_URL options: only -c name=value is understood: {options!r}")
        settings[name.replace("-", "_")] = value
    return settings


def _asyncpg_target(url: URL) -> tuple[str, dict[str, str]]:
    """asyncpg's DSN and server settings for the engine's psycopg URL: the same server,
    credentials, database, SSL and settings. libpq's ``options`` (``-c name=value`` each)
    become server settings; anything else there is refused at start-up, not at every read."""
    query = {name: value for name, value in url.query.items() if name not in _LIBPQ_ONLY_OPTIONS}
    options = query.pop("options", None)
    settings: dict[str, str] = {}
    if options is not None:
        settings = _server_settings(options if isinstance(options, str) else " ".join(options))
    target = url.set(drivername="postgresql", query=query)
    return target.render_as_string(hide_password=False), settings


class _Connections:
    """At most ``size`` asyncpg connections, kept between reads, for ``Reads``.

    A read takes an idle connection (one the server has closed is dropped on the way: asyncpg
    learns of it on the event loop, as the server says goodbye) or opens a new one, and gives
    it back after its statement (see ``_give_back`` for a cancelled one). Reads wait
    on the event loop for a free place and a connection, at most ``wait_seconds`` together,
    then fail as the main pool does (SQLAlchemy's ``TimeoutError``: a 503). Not asyncpg's own
    pool: it is a pool of its own with its own set-up, health checks and timeouts, where this
    needs the main pool's behaviour; opening on demand fails at once when the server refuses,
    into a prompt 503.
    """

    def __init__(
        self, dsn: str, server_settings: dict[str, str], *, size: int, wait_seconds: float
    ) -> None:
        self._dsn = dsn
        self._server_settings = server_settings
        self._places = asyncio.Semaphore(size)
        self._wait_seconds = wait_seconds
        self._idle: list[asyncpg.Connection] = []
        self._closed = False

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        taken = False
        try:
            # One bound for both waits: for a place, and for a server that does not answer
            # (a connection to a host that drops packets would otherwise wait for TCP's
            # own timeout, minutes, holding its place).
            async with asyncio.timeout(self._wait_seconds):
                await self._places.acquire()
                taken = True
                connection = await self._take()
        except TimeoutError:
            if taken:
                self._places.release()
            raise PoolTimeout(f"no read connection within {self._wait_seconds} s") from None
        except BaseException:
            if taken:
                self._places.release()
            raise
        try:
            yield connection
        finally:
            self._give_back(connection)
            self._places.release()

    async def _take(self) -> asyncpg.Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():
                return connection
        return await self._opened()

    async def _opened(self) -> asyncpg.Connection:
        """A new connection, set up as SQLAlchemy's asyncpg dialect sets up its own: JSON
        arrives decoded (its JSON types leave that to the connection, and send text). Any
        failure is an outage, as for the main engine: refused, a wrong password, a missing
        database."""
        try:
            connection = await asyncpg.connect(self._dsn, server_settings=self._server_settings)
            try:
                for json_type in ("json", "jsonb"):
                    await connection.set_type_codec(
                        json_type, encoder=str, decoder=json.loads, schema="pg_catalog"
                    )
            except BaseException:
                connection.terminate()
                raise
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise OperationalError("connect", None, exc) from exc
        return connection

    def _give_back(self, connection: asyncpg.Connection) -> None:
        """Kept unless it is closed or left in a transaction. A read cancelled half way is
        kept too: asyncpg asks the server to cancel the statement, and the connection's next
        statement waits for that to finish (closing it instead would leave the statement
        running on the server, and its place free for another)."""
        if self._closed or connection.is_in_transaction():
            connection.terminate()  # no I/O wait: safe in a cancelled task
        elif not connection.is_closed():
            self._idle.append(connection)

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().terminate()


def _drop_if_closed_by_the_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed (a restart, a failover, an idle timeout) is
    replaced at checkout, so no request fails on it: raising ``DisconnectionError`` makes the
    pool discard it and connect afresh."""
    if _closed_by_the_server(dbapi_connection):
        raise DisconnectionError("the server closed the connection, or has something to say")


def _closed_by_the_server(connection: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection is closed, or its server has said goodbye. SQLAlchemy's
    ``pool_pre_ping`` would ask the server with a ``SELECT 1``: a round trip on every request.
    An idle connection has nothing to read unless the server said goodbye (its FATAL message,
    then end of file), so looking whether the socket is readable, without waiting, answers the
    same question locally."""
    if connection.closed:
        return True
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def units_of_work(engine: Engine) -> int:
    """How many requests may hold a database session at once: as many as the pool keeps
    connections. More would wait for a connection inside the thread pool, holding a thread
    that the requests already holding connections need to finish (and time out together)."""
    pool = engine.pool
    return pool.size() if isinstance(pool, QueuePool) else POOL_SIZE


def serialises_writes(engine: Engine) -> bool:
    """SQLite takes one writer at a time per file: a worker queues its writes itself, on the
    event loop, rather than in SQLite's busy handler, each waiting in a thread of its own."""
    return engine.dialect.name == "sqlite"


def database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
