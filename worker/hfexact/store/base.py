"""What every part of the store shares: the engine, the clock, the secret box, transactions."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from hfexact.errors import TransientError
from hfexact.store.crypto import SecretBox
from hfexact.store.engine import FAST_OPTION, READ_OPTION
from hfexact.store.locks import KeyedLocks


class StoreUnavailable(TransientError):
    """The database did not answer (down, locked past the busy timeout, connection lost)."""

    kind = "store_unavailable"


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dump_json(value: Mapping[str, Any] | list[Any]) -> str:
    return json.dumps(value, default=_json_default, sort_keys=True, ensure_ascii=False)


#: the execution options a kept SQLite connection runs each kind of transaction with
_OPTIONS: dict[str, dict[str, bool]] = {
    "read": {READ_OPTION: True, FAST_OPTION: False},
    "durable": {READ_OPTION: False, FAST_OPTION: False},
    "fast": {READ_OPTION: False, FAST_OPTION: True},
}


def _driver_errors() -> tuple[type[Exception], ...]:
    """The drivers' own errors for a database that did not answer: raised unwrapped by what
    runs on the driver's connection directly (``engine._on_begin`` and ``StoreBase._direct``)."""
    errors: list[type[Exception]] = [sqlite3.OperationalError, sqlite3.InterfaceError]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite works without it
        return tuple(errors)
    return (*errors, psycopg.OperationalError, psycopg.InterfaceError)


DRIVER_ERRORS = _driver_errors()


def _unavailable(exc: Exception) -> StoreUnavailable:
    """SQLAlchemy's wrapped driver error, or the driver's own (see ``DRIVER_ERRORS``)."""
    orig = exc.orig if isinstance(exc, OperationalError | InterfaceError) else exc
    said = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return StoreUnavailable(
        f"store unavailable: {type(orig).__name__}" + (f": {said}" if said else ""),
        hint="check that the database in HFEXACT_STORE_URL runs and accepts connections",
    )


class _Held:
    """One thread's kept SQLite connection and the kind of transaction it last ran. When the
    thread ends, its ``threading.local`` entry goes and with it this object: the connection
    goes back to the pool then, not when the store closes (a worker's lanes, a benchmark's many
    runs)."""

    __slots__ = ("__weakref__", "conn", "kind")

    def __init__(self) -> None:
        self.conn: Connection | None = None
        self.kind = ""

    def close(self) -> None:
        conn, self.conn, self.kind = self.conn, None, ""
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def __del__(self) -> None:
        self.close()


class StoreBase:
    def __init__(
        self, engine: Engine, *, box: SecretBox, clock: Callable[[], float]
    ) -> None:
        self._engine = engine
        #: kind of transaction -> the engine whose connections run it (``_OPTIONS``)
        self._engines = {kind: engine.execution_options(**options)
                         for kind, options in _OPTIONS.items()}
        self._box = box
        self._clock = clock
        self._local_locks = KeyedLocks()
        #: statements built once per shape (SQLAlchemy then reuses their compiled form)
        self._statements: dict[tuple[Any, ...], Any] = {}
        #: (statement, parameter names) -> (SQL text, positional order or None): ``_direct``
        self._direct_sql: dict[tuple[Any, ...], tuple[str, tuple[str, ...] | None]] = {}
        self.dialect: str = engine.dialect.name
        #: SQLite: one connection per thread, kept between transactions (a pool checkout and
        #: check-in cost about as much as a read); it goes back to the pool when the thread
        #: ends (``_Held``)
        self._held = threading.local()
        self._holders: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._held_guard = threading.Lock()
        #: SQLite: this process's writing transactions take turns here. SQLite itself lets a
        #: writer that finds the write lock taken sleep and poll (1, 2, 5, 10 ms ...); a
        #: thread waiting on this lock starts the moment the other one commits
        self._writer = threading.RLock() if self.dialect == "sqlite" else contextlib.nullcontext()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def encrypts_secrets(self) -> bool:
        """True when tokens and secrets are encrypted at rest (a key is configured)."""
        return self._box.enabled

    @contextlib.contextmanager
    def _tx(self, *, durable: bool = True, read_only: bool = False) -> Iterator[Connection]:
        """One transaction, committed on exit; database outages become ``StoreUnavailable``.

        ``durable=False`` lets the commit skip waiting for the disk, for what a power cut may
        lose: rate-budget counters (the next response headers correct them) and a done binding
        after a durable pending one (``complete_binding``).
        ``read_only=True``: the transaction only reads (SQLite: no write lock is taken).
        """
        with self._mapped_errors(), self._transaction(durable, read_only) as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(self, durable: bool, read_only: bool) -> Iterator[Connection]:
        kind = "read" if read_only else "durable" if durable else "fast"
        conn, held = self._connection(kind)
        try:
            with (contextlib.nullcontext() if read_only else self._writer), conn.begin():
                if not durable and self.dialect == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                yield conn
        except BaseException:
            if held:
                self._drop_held(conn)  # whatever went wrong, the next one starts afresh
                held = False
            raise
        finally:
            if not held:
                with contextlib.suppress(Exception):
                    conn.close()

    def _connection(self, kind: str) -> tuple[Connection, bool]:
        """(connection, kept for this thread?) for one transaction of ``kind``; outages become
        ``StoreUnavailable``. SQLite: each thread keeps one connection for every kind, told
        the kind through its execution options (``engine._on_begin`` reads them)."""
        try:
            if self.dialect != "sqlite":
                return self._engines[kind].connect(), False
            holder: _Held | None = getattr(self._held, "holder", None)
            if holder is None:
                holder = self._held.holder = _Held()
                with self._held_guard:
                    self._holders.add(holder)
            conn = holder.conn
            if conn is not None and (conn.closed or conn.invalidated):
                holder.close()
                conn = None
            if conn is not None and conn.in_transaction():
                # a transaction inside another: a connection of its own
                return self._engines[kind].connect(), False
            if conn is None:
                conn = holder.conn = self._engine.connect()
            if holder.kind != kind:
                conn.execution_options(**_OPTIONS[kind])
                holder.kind = kind
            return conn, True
        except (OperationalError, InterfaceError) as exc:
            raise _unavailable(exc) from exc

    def _drop_held(self, conn: Connection) -> None:
        holder: _Held | None = getattr(self._held, "holder", None)
        if holder is not None and holder.conn is conn:
            holder.close()
        else:
            with contextlib.suppress(Exception):
                conn.close()

    @contextlib.contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            raise _unavailable(exc) from exc
        except DRIVER_ERRORS as exc:
            raise _unavailable(exc) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable("store connection lost") from exc
            raise

    def _direct(self, conn: Connection, stmt: Any, params: Mapping[str, Any]) -> Any:
        """Execute ``stmt`` (built once, module-level) on the driver's connection: the driver's
        cursor is returned (rows are plain tuples in the statement's column order).

        SQLAlchemy compiles the statement once per set of parameter names, for this database;
        what it would do per call (execution context, events, result wrapping) costs several
        times the query itself on the hot path (a binding read: 98 us through
        ``Connection.execute`` against 12 us here). The transaction stays SQLAlchemy's. Only for
        columns whose values need no conversion by SQLAlchemy (strings, numbers, text); the
        driver's errors are mapped by ``_mapped_errors``. Parameters named ``k_...`` are the
        statement's own bind parameters (its WHERE clause); the others name the columns an
        INSERT or UPDATE writes.
        """
        names = tuple(params)
        key = (id(stmt), names)
        plan = self._direct_sql.get(key)
        if plan is None:
            columns = [name for name in names if not name.startswith("k_")]
            compiled = stmt.compile(dialect=self._engine.dialect, column_keys=columns)
            order = compiled.positiontup
            plan = (compiled.string, tuple(order) if self._engine.dialect.positional and order
                    else None)
            self._direct_sql[key] = plan
        sql, order = plan
        raw: Any = conn.connection.driver_connection
        if order is None:
            return raw.execute(sql, params)
        return raw.execute(sql, tuple([params[name] for name in order]))

    def _upsert(
        self, conn: Connection, table: Table, values: Mapping[str, Any], keys: tuple[str, ...]
    ) -> None:
        conn.execute(self._upsert_statement(table, tuple(values), keys), dict(values))

    def _insert_ignore(self, conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
        conn.execute(self._insert_ignore_statement(table), dict(values))

    def _upsert_statement(self, table: Table, columns: tuple[str, ...],
                          keys: tuple[str, ...]) -> Any:
        """INSERT .. ON CONFLICT (keys) DO UPDATE, built once per shape (values are parameters)."""
        shape = ("upsert", table.name, columns, keys)
        stmt = self._statements.get(shape)
        if stmt is None:
            insert = sqlite_insert if self.dialect == "sqlite" else pg_insert
            base = insert(table)
            update = {k: base.excluded[k] for k in columns if k not in keys}
            stmt = base.on_conflict_do_update(index_elements=[table.c[k] for k in keys],
                                              set_=update)
            self._statements[shape] = stmt
        return stmt

    def _insert_ignore_statement(self, table: Table) -> Any:
        shape = ("insert_ignore", table.name)
        stmt = self._statements.get(shape)
        if stmt is None:
            insert = sqlite_insert if self.dialect == "sqlite" else pg_insert
            stmt = insert(table).on_conflict_do_nothing()
            self._statements[shape] = stmt
        return stmt

    def close(self) -> None:
        with self._held_guard:
            holders = list(self._holders)
            self._holders = weakref.WeakSet()
        for holder in holders:
            holder.close()
        self._held = threading.local()
        self._engine.dispose()

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
