"""Opening a store migrates it, once, to exactly the schema the code queries."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hfexact.errors import ConfigError
from hfexact.store import Store, StoreUnavailable, open_store
from hfexact.store.engine import current_revision, head_revision
from hfexact.store.schema import metadata
from tests.fixtures import procs


class TestMigrations:
    def test_open_applies_every_migration(self, store: Store) -> None:
        """A new store is at the newest revision."""
        assert head_revision() is not None
        assert current_revision(store.engine) == head_revision()

    def test_migrated_schema_matches_the_code(self, store: Store) -> None:
        """The tables the migrations create are the tables ``schema.py`` describes."""
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(ctx, metadata)
            conn.rollback()
        assert diffs == []

    def test_reopen_keeps_data(self, store_url: str, open_stores: Callable[..., Store]) -> None:
        """Opening an existing store again migrates nothing and loses nothing."""
        first = open_stores(store_url)
        first.set_cursor("relay", "42")
        second = open_stores(store_url)
        assert second.get_cursor("relay") == "42"
        assert current_revision(second.engine) == head_revision()

    def test_concurrent_opens_migrate_once(self, store_url: str) -> None:
        """Four processes opening a fresh store at the same moment all succeed."""
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        children = [ctx.Process(target=procs.open_and_count, args=(store_url, out))
                    for _ in range(4)]
        for c in children:
            c.start()
        for c in children:
            c.join(60)
        assert [c.exitcode for c in children] == [0, 0, 0, 0]
        assert sorted(out.get(timeout=5) for _ in children) == [0, 0, 0, 0]


class TestUrls:
    def test_rejects_other_databases(self) -> None:
        """Only SQLite files and PostgreSQL are stores."""
        with pytest.raises(ConfigError, match="sqlite:///path or postgresql"):
            open_store("mysql://root@127.0.0.1/test")

    def test_rejects_in_memory_sqlite(self) -> None:
        """An in-memory SQLite cannot be shared between connections, so it is refused."""
        with pytest.raises(ConfigError, match="in-memory"):
            open_store("sqlite://")

    def test_unreachable_postgres_is_transient(self) -> None:
        """A PostgreSQL that does not answer is a StoreUnavailable (retry later)."""
        with pytest.raises(StoreUnavailable):
            open_store("postgresql://postgres@127.0.0.1:9/none?connect_timeout=2")

    def test_sqlite_locked_past_the_busy_timeout_is_transient(
        self, tmp_path: object, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Another process holds the write lock past the busy timeout: StoreUnavailable
        (retried later), also now that the BEGIN runs on the driver's connection itself; the
        store works again once the lock is gone."""
        import sqlite3
        from pathlib import Path

        from hfexact.store import engine

        monkeypatch.setattr(engine, "BUSY_TIMEOUT_SECONDS", 0.2)
        path = Path(str(tmp_path)) / "store.sqlite3"
        store = open_store(f"sqlite:///{path}")
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreUnavailable, match="locked"):
                store.set_cursor("relay", "1")
            other.execute("ROLLBACK")
            store.set_cursor("relay", "2")
            assert store.get_cursor("relay") == "2"
        finally:
            other.close()
            store.close()

    def test_sqlite_creates_the_directory(self, tmp_path: object) -> None:
        """The default store path's directory is created on first open."""
        from pathlib import Path

        path = Path(str(tmp_path)) / "var" / "deep" / "store.sqlite3"
        store = open_store(f"sqlite:///{path}")
        store.close()
        assert path.exists()

    def test_sqlite_uses_wal(
        self, sqlite_store_url: str, open_stores: Callable[..., Store]
    ) -> None:
        """The SQLite store runs in WAL mode so readers never block the writer."""
        store = open_stores(sqlite_store_url)
        with store.engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            conn.rollback()
        assert mode == "wal"
