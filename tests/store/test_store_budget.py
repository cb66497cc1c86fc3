"""The shared rate budget: recorded from headers, reserved atomically by every worker."""

from __future__ import annotations

import multiprocessing
import threading

from hfexact.store import Budget, Store
from tests.fixtures import procs

NOW = 1683879505.0
MINUTE_RESET = 1683879540.0
DAY_RESET = 1683936000.0


class TestBudget:
    def test_unknown_division(self, store: Store) -> None:
        """No headers seen yet: no budget, and calls are not held back."""
        assert store.get_budget(123456) is None
        assert store.reserve_call(123456, NOW) is None
        assert store.list_budgets() == {}

    def test_record_merges(self, store: Store) -> None:
        """Recorded budgets merge per window and are listed per division."""
        store.record_budget(1, Budget(60, 50, MINUTE_RESET, 5000, 4000, DAY_RESET))
        merged = store.record_budget(1, Budget(60, 0, MINUTE_RESET, None, None, None))
        assert merged == Budget(60, 0, MINUTE_RESET, 5000, 4000, DAY_RESET)
        assert store.get_budget(1) == merged
        store.record_budget(2, Budget(100, 99, MINUTE_RESET, 9000, 8999, DAY_RESET))
        assert sorted(store.list_budgets()) == [1, 2]

    def test_reserve_until_spent(self, store: Store) -> None:
        """Three calls left: three reservations succeed, the fourth returns the reset time."""
        store.record_budget(7, Budget(60, 3, MINUTE_RESET, 5000, 4000, DAY_RESET))
        assert [store.reserve_call(7, NOW) for _ in range(4)] == [None, None, None, MINUTE_RESET]
        budget = store.get_budget(7)
        assert budget is not None
        assert budget.minute_remaining == 0
        assert budget.day_remaining == 3997
        assert store.reserve_call(7, MINUTE_RESET + 1) is None

    def test_divisions_are_independent(self, store: Store) -> None:
        """One division out of budget does not hold back another."""
        store.record_budget(1, Budget(60, 0, MINUTE_RESET, 5000, 4000, DAY_RESET))
        store.record_budget(2, Budget(60, 10, MINUTE_RESET, 5000, 4000, DAY_RESET))
        assert store.reserve_call(1, NOW) == MINUTE_RESET
        assert store.reserve_call(2, NOW) is None

    def test_threads_never_overspend(self, store: Store) -> None:
        """Eight threads racing for 25 calls get exactly 25."""
        store.record_budget(5, Budget(60, 25, MINUTE_RESET, 5000, 4000, DAY_RESET))
        granted = []
        lock = threading.Lock()

        def grab() -> None:
            n = sum(1 for _ in range(10) if store.reserve_call(5, NOW) is None)
            with lock:
                granted.append(n)

        threads = [threading.Thread(target=grab) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(granted) == 25

    def test_processes_never_overspend(self, store_url: str, store: Store) -> None:
        """Three processes racing for 40 calls get exactly 40 between them."""
        store.record_budget(9, Budget(60, 40, MINUTE_RESET, 5000, 4000, DAY_RESET))
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        children = [ctx.Process(target=procs.reserve_many, args=(store_url, 9, 20, NOW, out))
                    for _ in range(3)]
        for c in children:
            c.start()
        results = [out.get(timeout=60) for _ in children]
        for c in children:
            c.join(30)
        assert sum(results) == 40
        budget = store.get_budget(9)
        assert budget is not None
        assert budget.minute_remaining == 0
