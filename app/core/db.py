"""Engine, constraint naming convention and timestamps. The request's session, its one
transaction, is ``app.http.dependencies.get_session``.

Alembic owns the schema: nothing here creates tables.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Dialect, Engine, TypeDecorator, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
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


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    return create_engine(url, pool_pre_ping=True)


def database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
