"""Engines for the two supported databases and the migration step run on every open.

SQLite: WAL journal, a busy timeout, and every writing transaction started with ``BEGIN
IMMEDIATE`` so a read-modify-write (a rate-budget reservation) holds the write lock from its
first read (read-only transactions, ``READ_OPTION``, begin deferred); pysqlite's
own implicit transaction handling is switched off, as SQLAlchemy's SQLite docs recommend.
PostgreSQL: ``postgresql://`` URLs use the psycopg 3 driver. Migrations run under a
transaction-level advisory lock so several workers starting at once migrate exactly once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from hfexact.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BUSY_TIMEOUT_SECONDS = 30.0
#: arbitrary constant key for the migration advisory lock ("hfexact" in ASCII, truncated)
MIGRATION_LOCK_KEY = 0x686665786163
#: execution option: this transaction's durability does not matter (budget counters)
FAST_OPTION = "hfexact_not_durable"
#: execution option: this transaction only reads (SQLite: a deferred BEGIN, no write lock)
READ_OPTION = "hfexact_read_only"


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL for a store URL; only SQLite files and PostgreSQL are accepted."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError([f"HFEXACT_STORE_URL is not a database URL: {exc}"]) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ConfigError(["HFEXACT_STORE_URL: an in-memory SQLite store cannot be shared "
                               "between connections; use sqlite:///path/to/file.sqlite3"])
        return parsed.set(drivername="sqlite+pysqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ConfigError([f"HFEXACT_STORE_URL must be sqlite:///path or postgresql://..., "
                       f"not {parsed.drivername}://"])


def make_engine(url: str) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(
        parsed, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=60
    )


def _sqlite_engine(parsed: URL) -> Engine:
    assert parsed.database
    Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        # every thread that uses the store keeps one connection until it ends (a worker's
        # lanes: HFEXACT_WORKER_CONCURRENCY of them, up to 64), so the pool grows with the
        # threads instead of making the 31st wait; a SQLite connection is a few file handles
        pool_size=10,
        max_overflow=-1,
        pool_timeout=60,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # let SQLAlchemy, not pysqlite, decide when a transaction begins
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            record.info["synchronous"] = "FULL"
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # straight on the driver's connection: this runs before every transaction, and
        # SQLAlchemy's execution machinery would cost as much as the query that follows
        raw = conn.connection.driver_connection
        assert raw is not None
        options = conn.get_execution_options()
        if options.get(READ_OPTION, False):
            # a reader sees one WAL snapshot and never blocks the writer
            raw.execute("BEGIN")
            return
        # bookkeeping that may be lost in a power cut (the rate budget) skips the fsync;
        # the PRAGMA is issued only when the connection's setting changes
        wanted = "NORMAL" if options.get(FAST_OPTION, False) else "FULL"
        info = conn.connection.info
        if info.get("synchronous") != wanted:
            raw.execute(f"PRAGMA synchronous = {wanted}")
            info["synchronous"] = wanted
        raw.execute("BEGIN IMMEDIATE")

    return engine


def alembic_config() -> Config:
    from alembic.config import Config  # imported when needed: alembic is slow to import

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; concurrent callers wait for each other."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
    return rev


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
