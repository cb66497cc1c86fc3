"""Settings, master-data cache, cursors and the activity log."""

from __future__ import annotations

from datetime import UTC, datetime

from hfexact.store import Store


class TestSettings:
    def test_save_load_validate(self, store: Store) -> None:
        """Settings are stored unchecked; a check result sticks to the version it checked."""
        assert store.load_settings("hf") is None
        store.save_settings("hf", {"journals": {"sales": "70"}}, version="v1")
        s = store.load_settings("hf")
        assert s is not None
        assert (s.data, s.version, s.valid, s.problems) == (
            {"journals": {"sales": "70"}}, "v1", None, [])
        assert store.mark_settings_validated("hf", "v1", False, ["Dagboek 70 bestaat niet"])
        s = store.load_settings("hf")
        assert s is not None
        assert s.valid is False
        assert s.problems == ["Dagboek 70 bestaat niet"]

    def test_stale_validation_is_ignored(self, store: Store) -> None:
        """A check of an older version does not mark newer settings valid."""
        store.save_settings("hf", {"a": 1}, version="v1")
        store.save_settings("hf", {"a": 2}, version="v2")
        assert not store.mark_settings_validated("hf", "v1", True, [])
        s = store.load_settings("hf")
        assert s is not None
        assert s.valid is None
        assert s.data == {"a": 2}


class TestCache:
    def test_put_get_drop(self, store: Store) -> None:
        """Cached master data is per division and kind, and can be dropped."""
        store.cache_put(1, "gl", "8000", "guid-a")
        store.cache_put(1, "gl", "8000", "guid-b")
        store.cache_put(1, "account", "1001", "guid-c")
        store.cache_put(2, "gl", "8000", "guid-d")
        assert store.cache_get(1, "gl", "8000") == "guid-b"
        assert store.cache_drop(1, "gl") == 1
        assert store.cache_get(1, "gl", "8000") is None
        assert store.cache_get(1, "account", "1001") == "guid-c"
        assert store.cache_drop(1) == 1
        assert store.cache_get(2, "gl", "8000") == "guid-d"


class TestCursors:
    def test_set_get(self, store: Store) -> None:
        """Cursors remember the last position of a poller."""
        assert store.get_cursor("payments:123456") is None
        store.set_cursor("payments:123456", "1")
        store.set_cursor("payments:123456", "98765")
        assert store.get_cursor("payments:123456") == "98765"


class TestActivity:
    def test_last_success_by_type(self, store: Store) -> None:
        """The last "done" per event type is reported; failures do not count."""
        store.record_outcome("e1", "invoice.issued", "done", "F1", "x", 12.5, at=1000.0)
        store.record_outcome("e2", "invoice.issued", "done", "F2", "y", 10.0, at=2000.0)
        store.record_outcome("e3", "invoice.issued", "dead_lettered", "F3", None, 3.0,
                             at=3000.0)
        store.record_outcome("e4", "debtor.upserted", "duplicate", "DB1", "z", 1.0, at=2500.0)
        assert store.last_success_by_type() == {
            "invoice.issued": datetime.fromtimestamp(2000.0, UTC)}
        recent = store.recent_outcomes(2)
        assert [o.event_id for o in recent] == ["e4", "e3"]
        assert store.prune_activity(2100.0) == 2
        assert len(store.recent_outcomes()) == 2
