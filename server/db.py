"""Engine, sessions and units of work. SQLite: WAL, foreign keys, and BEGIN IMMEDIATE for a unit of work,
so concurrent writers queue on the lock instead of failing with "database is locked".

Sessions read (a deferred BEGIN: no lock on SQLite). A service writes inside `write_unit(session)`, which
holds the write lock only for the statements it wraps; hashing, image work and rendering stay outside."""

from __future__ import annotations

import os
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, any_, bindparam, cast, event, func
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.types import NullType
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    import server.models  # noqa: F401  (every table, so foreign keys resolve)

    if url.startswith("sqlite"):
        if url.startswith("sqlite:///"):
            private_database_file(Path(url.removeprefix("sqlite:///")))
        # Connections are cheap here, and a request waiting for one should wait on the lock instead.
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=10,
            max_overflow=60,
            pool_timeout=60,
        )
        _configure_sqlite(engine)
        return engine
    # Sessions in UTC: the database keeps instants (timestamptz) either way, and psycopg then hands back
    # datetimes in datetime.UTC itself, which UTCDateTime passes through instead of converting every value
    # from the server's zone (a tenth of a city-sized feed page). No query depends on the session's zone:
    # local days are computed from the deployment's zone explicitly (server/rounds, server/hazards).
    given = make_url(url).query.get("options")  # a deployment's own libpq options are kept
    options = " ".join([*([given] if isinstance(given, str) else list(given or ())), "-c TimeZone=UTC"])
    return create_engine(
        url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args={"options": options}
    )


def read_engine(engine: Engine) -> Engine:
    """The engine a request's session reads through. PostgreSQL: autocommit. Under READ COMMITTED every
    statement reads its own snapshot whether or not a transaction is open, so a read's BEGIN and ROLLBACK
    were two round trips that bought nothing; a unit of work (write_unit) still begins a transaction. SQLite:
    the engine itself (there, one read transaction keeps one snapshot for the whole request)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def private_database_file(path: Path) -> None:
    """The database file (and its -wal/-shm, which SQLite creates with the file's mode) readable by the
    server's user only: it holds password hashes and everyone's records."""
    if path.name == ":memory:" or not path.name:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event own transaction start (pysqlite otherwise defers it).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def end_read(session: Session) -> None:
    """Finish whatever the session has read so far (keeping the objects it loaded), so slow work that
    follows holds no transaction open. Inside a unit of work it does nothing."""
    if session.info.get("write_unit") or not session.in_transaction():
        return
    session.commit()


@contextmanager
def write_unit(session: Session) -> Iterator[Session]:
    """A unit of work: the statements inside are one transaction, committed at the end, rolled back on any
    error (nothing half-written). It ends the session's read first and, on SQLite, begins with BEGIN
    IMMEDIATE, so the write lock is held from here to the commit and no longer. Re-read (with_for_update)
    inside it what you change. A unit opened inside another one joins it."""
    if session.info.get("write_unit"):
        yield session
        return
    end_read(session)
    # Options given with the first connection of a transaction apply before its BEGIN (see _on_begin). A
    # request's session reads in autocommit on PostgreSQL (read_engine): its unit of work asks for the
    # database's own isolation level, which begins a transaction again.
    options: dict[str, Any] = {"sqlite_immediate": True}
    if on_postgresql(session):
        options["isolation_level"] = session.get_bind().dialect.default_isolation_level or "READ COMMITTED"
    session.connection(execution_options=options)
    session.info["write_unit"] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop("write_unit", None)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database to the newest schema (Alembic upgrade head)."""
    if url.startswith("sqlite:///"):
        private_database_file(Path(url.removeprefix("sqlite:///")))
    command.upgrade(alembic_config(url), "head")


def among(session: Session, column: Any, ids: Collection[uuid.UUID]) -> Any:
    """`column IN ids` (UUIDs): on PostgreSQL one parameter, `= ANY(CAST(:ids AS uuid[]))` written as the
    array's text, so a page's 2,000 ids cost one join, not 2,000 placeholders to render and parse nor 2,000
    values to adapt one by one; a plain IN list on SQLite."""
    if on_postgresql(session):
        return column == any_(uuid_array(ids))
    return column.in_(list(ids))


def on_postgresql(session: Session) -> bool:
    """Whether the session's database is PostgreSQL (the city's: arrays, LATERAL, JSON written by the database)."""
    return session.get_bind().dialect.name == "postgresql"


def uuid_array(ids: Collection[uuid.UUID]) -> Any:
    """PostgreSQL: `CAST(:ids AS uuid[])`, one parameter written as the array's text. Untyped, so PostgreSQL
    reads the text as uuid[] once when binding (a text parameter CAST per row costs 50 ms on a 300-row scan)."""
    text_array = "{" + ",".join(str(value) for value in ids) + "}"
    return cast(bindparam(None, text_array, type_=NullType()), postgresql.ARRAY(postgresql.UUID))


def ids_table(ids: Collection[uuid.UUID], name: str) -> Any:
    """PostgreSQL: the ids as a table `name` of one column `id` (unnest of one array parameter), for a LATERAL
    seek per id: one statement of the same shape for any number of ids."""
    return func.unnest(uuid_array(ids)).table_valued("id").render_derived(name=name)
