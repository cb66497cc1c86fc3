"""Bindings: pending before the Exact call, done after, found again by code."""

from __future__ import annotations

import multiprocessing
import threading
import time
from decimal import Decimal

import pytest

from hfexact.store import Store
from hfexact.store.locks import LockTimeout
from tests.fixtures import procs


def _begin(store: Store, hid: str = "17", event: str = "e1") -> None:
    store.begin_binding("hf", "invoice", hid, hostfact_code="F2026-0001", division=123456,
                        event_id=event)


class TestBindings:
    def test_begin_is_pending(self, store: Store) -> None:
        """begin_binding writes a pending binding with what is known before the call."""
        assert store.get_binding("hf", "invoice", "17") is None
        _begin(store)
        b = store.get_binding("hf", "invoice", "17")
        assert b is not None
        assert (b.state, b.hostfact_code, b.division, b.exact_id, b.event_id) == (
            "pending", "F2026-0001", 123456, None, "e1")

    def test_complete_is_done(self, store: Store) -> None:
        """complete_binding records what landed in Exact, details included."""
        _begin(store)
        b = store.complete_binding(
            "hf", "invoice", "17", exact_id="0b8f6d2e-4c1e-4f57-9a63-2d1f0c6a9e11",
            exact_number="26700001", exact_code=None, version="2026-11-28T15:04:05+01:00",
            details={"amount_incl": Decimal("121.00"), "lines": 2},
        )
        assert b.state == "done"
        assert b.exact_number == "26700001"
        assert b.details == {"amount_incl": "121.00", "lines": 2}
        assert store.get_binding("hf", "invoice", "17") == b

    def test_begin_again_keeps_done(self, store: Store) -> None:
        """A redelivered event finds the done binding untouched."""
        _begin(store)
        done = store.complete_binding("hf", "invoice", "17", exact_id="x", exact_number="1",
                                      exact_code=None, version=None, details={})
        store.begin_binding("hf", "invoice", "17", hostfact_code="other", division=1,
                            event_id="e2")
        assert store.get_binding("hf", "invoice", "17") == done

    def test_begin_again_while_pending(self, store: Store) -> None:
        """A retry of a pending binding takes it over for the new event."""
        _begin(store, event="e1")
        _begin(store, event="e2")
        b = store.get_binding("hf", "invoice", "17")
        assert b is not None
        assert b.state == "pending"
        assert b.event_id == "e2"

    def test_complete_without_begin(self, store: Store) -> None:
        """Adopting an entry found in Exact works without a prior pending binding."""
        b = store.complete_binding("hf", "debtor", "3", exact_id="g", exact_number=None,
                                   exact_code="              1003", version="v1", details={},
                                   hostfact_code="DB0003", division=123456)
        assert (b.exact_code, b.hostfact_code, b.division) == ("1003", "DB0003", 123456)

    def test_fail_binding(self, store: Store) -> None:
        """A pending binding can be marked failed with a reason; done ones stay done."""
        _begin(store)
        failed = store.fail_binding("hf", "invoice", "17", reason="Verplicht: Dagboek")
        assert failed is not None
        assert failed.state == "failed"
        assert failed.details["failure"] == "Verplicht: Dagboek"
        _begin(store, event="e3")
        b = store.get_binding("hf", "invoice", "17")
        assert b is not None
        assert b.state == "pending"
        store.complete_binding("hf", "invoice", "17", exact_id="x", exact_number="1",
                               exact_code=None, version=None, details={})
        again = store.fail_binding("hf", "invoice", "17", reason="late")
        assert again is not None
        assert again.state == "done"

    def test_find_by_code_and_list(self, store: Store) -> None:
        """Account codes are found with or without Exact's padding; lists filter by state."""
        for hid, code in (("1", "1001"), ("2", "1002")):
            store.begin_binding("hf", "debtor", hid, hostfact_code=f"DB000{hid}",
                                division=1, event_id=None)
            store.complete_binding("hf", "debtor", hid, exact_id=f"g{hid}", exact_number=None,
                                   exact_code=code, version=None, details={})
        store.begin_binding("hf", "debtor", "3", hostfact_code="DB0003", division=1,
                            event_id=None)
        found = store.find_binding_by_code("hf", "debtor", "              1002")
        assert found is not None
        assert found.hostfact_id == "2"
        assert store.find_binding_by_code("hf", "creditor", "1002") is None
        assert store.find_binding_by_code("other", "debtor", "1002") is None
        assert [b.hostfact_id for b in store.list_bindings("hf", "debtor")] == ["1", "2", "3"]
        assert [b.hostfact_id for b in store.list_bindings("hf", "debtor", "pending")] == ["3"]

    def test_installations_are_separate(self, store: Store) -> None:
        """The same HostFact id in two installations is two bindings."""
        store.begin_binding("a", "debtor", "1", hostfact_code=None, division=1, event_id=None)
        assert store.get_binding("b", "debtor", "1") is None

    def test_unknown_kind(self, store: Store) -> None:
        """Only the documented kinds exist."""
        with pytest.raises(ValueError, match="unknown binding kind"):
            store.get_binding("hf", "order", "1")


class TestRecordLock:
    def test_threads_serialize_per_record(self, store: Store) -> None:
        """Work on one record never overlaps; other records are not blocked."""
        inside = 0
        most = 0
        guard = threading.Lock()

        def work() -> None:
            nonlocal inside, most
            with store.record_lock("hf", "debtor", "1"):
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.02)
                with guard:
                    inside -= 1

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        with store.record_lock("hf", "debtor", "2", timeout=1):
            pass
        for t in threads:
            t.join()
        assert most == 1

    def test_postgres_serializes_processes(self, pg_store_url: str, open_stores: object) -> None:
        """On PostgreSQL a record held by another worker process cannot be taken."""
        store = open_stores(pg_store_url)  # type: ignore[operator]
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        child = ctx.Process(target=procs.hold_record_lock,
                            args=(pg_store_url, ("hf", "invoice", "9"), ready, 2.0))
        child.start()
        try:
            assert ready.wait(30)
            with pytest.raises(LockTimeout), store.record_lock("hf", "invoice", "9", timeout=0.3):
                pass
            with store.record_lock("hf", "invoice", "10", timeout=1):
                pass
            with store.record_lock("hf", "invoice", "9", timeout=20):
                pass
        finally:
            child.join(30)
        assert child.exitcode == 0


def test_connections_of_ended_threads_go_back_to_the_pool(store: Store) -> None:
    """A thread's kept connections return when it ends: many short-lived threads (a worker's
    lanes, run after run) never exhaust the pool (30 connections)."""
    pool = store.engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]

    def work(n: int) -> None:
        _begin(store, hid=str(n), event=f"e{n}")  # a durable write
        assert store.get_binding("hf", "invoice", str(n)) is not None  # a read

    for n in range(45):
        thread = threading.Thread(target=work, args=(n,))
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive(), f"thread {n} waited for a pooled connection"
    assert pool.checkedout() == before  # type: ignore[attr-defined]
    assert len(store.list_bindings("hf", "invoice")) == 45


def test_as_many_threads_as_a_worker_may_have_lanes_never_wait_for_a_connection(
        store: Store) -> None:
    """64 lanes (HFEXACT_WORKER_CONCURRENCY's most) and the connection's thread, all alive at
    once, each reading, writing durably and committing without waiting for the disk: none
    waits for a pooled connection (a pool of 30 made the 31st wait 60 s and then fail)."""
    lanes = 65
    together = threading.Barrier(lanes, timeout=30)
    failures: list[BaseException] = []

    def lane(n: int) -> None:
        try:
            hid = str(1000 + n)
            assert store.get_binding("hf", "invoice", hid) is None  # a read
            _begin(store, hid=hid, event=f"e{n}")  # a durable write
            together.wait()  # every lane now keeps its connection
            store.complete_binding("hf", "invoice", hid, exact_id=f"x{n}", exact_number=str(n),
                                   exact_code=None, version=None, details={},
                                   hostfact_code=f"F{n}", division=1, event_id=f"e{n}",
                                   durable=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a lane waited for a pooled connection"
    assert failures == []
    done = store.list_bindings("hf", "invoice", state="done")
    assert {b.hostfact_id for b in done} >= {str(1000 + n) for n in range(lanes)}
