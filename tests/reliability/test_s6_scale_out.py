"""Scenario 6: three worker processes share one queue and one PostgreSQL store.

Two HostFact installations book into two Exact divisions through one broker. Debtors are edited
up to four times; a third of them have their versions published newest first (as a retry
reorders them). Exact's daily limit is lowered so that division A runs out part-way while
division B has enough:

- no record is booked twice, and each debtor's account ends with its newest version (an
  older version arriving later is ignored, never written over a newer one);
- the three workers respect one shared budget per division: after the limit is lowered,
  division A gets at most the calls it had left plus the ones already in flight, and few 429s;
- division A's exhaustion does not block division B: all of B is booked while A waits, visibly,
  in the queues (nothing dead-lettered, no attempt counted);
- the next day (limit back up, stored budget reset) A finishes; everything exactly once.
"""

from __future__ import annotations

import random
import time

from tests.reliability import report
from tests.reliability.conftest import soak
from tests.reliability.harness import Rig, json_lines, outcomes_in_logs, wait_until
from tests.reliability.workload import DIV, DIV2, MAIN, TWO, generate

LEFT_TODAY = soak(60, 400)  # division B needs fewer calls than this, A many more


def calls_of(rig: Rig, division: int) -> int:
    counters = rig.sandbox.counters()["calls"]
    return sum(int(n) for key, n in counters.items() if f"/api/v1/{division}/" in key)


def day_used(rig: Rig, division: int) -> int:
    used = rig.sandbox.state()["rate_limits"]["used"]
    return sum(int(v["day_used"]) for k, v in used.items() if k.endswith(f"/{division}"))


def test_three_workers_share_queue_store_and_budget(make_rig) -> None:  # type: ignore[no-untyped-def]
    rig = make_rig(store="postgresql")
    rng = random.Random(66)
    a = generate(66, size=soak(160, 1200), installations=(MAIN,), debtor_versions=4,
                 reversed_share=0.34)
    b = generate(67, size=soak(40, 250), installations=(TWO,), debtor_versions=4,
                 reversed_share=0.34)
    work = a.merge(b, rng)
    rig.apply_settings(work.settings)
    base = {DIV: calls_of(rig, DIV), DIV2: calls_of(rig, DIV2)}
    rig.sandbox.limits(daily=day_used(rig, DIV) + LEFT_TODAY)  # both divisions; B needs less
    rig.publish(work.events)
    workers = [rig.start_worker("--burst", name=f"w{i}") for i in range(3)]

    store = rig.open_store()
    try:
        def b_done() -> bool:
            verdict = rig.verify(b)
            return verdict.exported_once == len(b.expected)

        wait_until(b_done, 120, step=1.0, what="division B booked")
        wait_until(lambda: (getattr(store.get_budget(DIV), "day_remaining", None) == 0), 60,
                   what="division A's day budget spent")
        time.sleep(2.0)
        # B is complete while A waits: A is not done, nothing is dead-lettered
        a_now = rig.verify(a)
        assert a_now.exported_once < len(a.expected), "A ran out of budget part-way"
        assert not a_now.duplicated
        assert rig.dead_letters() == []
        assert sum(rig.depths().values()) > 0, "A's events wait in the queues"
        a_calls_today = calls_of(rig, DIV) - base[DIV]
        limited = int(rig.sandbox.counters()["rate_limited"])
        assert a_calls_today <= LEFT_TODAY + 3, "the three workers shared one budget"
        assert limited <= 3, f"{limited} answers 429: the budget was not shared"

        # the next day
        rig.sandbox.limits(daily=10_000_000)
        store.drop_budget(DIV)
    finally:
        store.close()
    for worker in workers:
        assert worker.wait(240) == 0, worker.text()[-2000:]
    verdict = rig.verify(work)
    outcomes = outcomes_in_logs(workers)
    busy = sum(1 for w in workers if any(r.get("event") == "event.processed"
                                         for r in json_lines(w.log)))
    report.record("6 scale-out (3 workers, 2 divisions)", **verdict.counts(), faults=1,
                  calls_a_while_spent=a_calls_today, http_429=limited,
                  older_versions_ignored=outcomes["ignored"], workers_busy=busy)
    verdict.assert_exactly_once()
    assert verdict.exported_once == len(work.expected)
    assert outcomes["ignored"] >= 1, "older debtor versions arrived after newer ones"
    assert busy == 3
