"""Scenario 3: Exact misbehaves in every documented way while one worker exports a workload.

Injected through the sandbox's control API, on the endpoints the workload writes to:

- 429 for the minute (a lowered ``/sandbox/limits`` minutely limit, and 429 faults) and for the
  day (a lowered daily limit): events wait, not counted as attempts, and flow again when the
  window resets. The sandbox clock runs two minutes behind, so minute resets are already past
  for the worker (no real minute of waiting); the new day is simulated by raising the limit and
  dropping the division's stored budget (what the reset at midnight does);
- 503, Exact's HTML maintenance page, the generic 500 (``internal_error``): transient, retried;
- responses slower than the client timeout (``delay`` > ``HFEXACT_HTTP_TIMEOUT_SECONDS``): the
  sandbox books the entry after the client gave up; the retry must adopt it, not post again;
- ``commit_then_drop`` on POSTs: booked, answer lost; adopted on retry;
- 500 with a validation message: the accountant unticks "supplier" on one creditor's account
  in Exact, so Exact refuses that creditor's purchase entries (``Ongeldig: …``): permanent,
  dead-lettered at once with Exact's message, never retried; after the accountant fixes the
  account they are replayed and land once.

End state: every record once in the sandbox, nothing pending or queued, every fault consumed.
"""

from __future__ import annotations

import json
import time

from tests.reliability import report
from tests.reliability.conftest import soak
from tests.reliability.harness import Rig, json_lines, wait_until
from tests.reliability.workload import DIV, generate

SEED = 33
SALES = f"/api/v1/{DIV}/salesentry/SalesEntries"
PURCHASES = f"/api/v1/{DIV}/purchaseentry/PurchaseEntries"
ACCOUNTS = f"/api/v1/{DIV}/crm/Accounts"
JOURNAL = f"/api/v1/{DIV}/generaljournalentry/GeneralJournalEntries"
TIMEOUT = 1.0
#: a slow answer: the sandbox books (and counts) the call this long after it arrived
DELAY = TIMEOUT + 0.8

FAULTS: list[tuple[str, str, int, dict[str, object]]] = [
    ("POST", SALES, 3, {"status": 503}),
    ("POST", PURCHASES, 2, {"action": "maintenance_html"}),
    ("POST", SALES, 2, {"action": "internal_error"}),
    ("POST", SALES, 2, {"delay": DELAY}),
    ("POST", PURCHASES, 1, {"delay": DELAY}),
    ("POST", SALES, 3, {"action": "commit_then_drop"}),
    ("POST", ACCOUNTS, 2, {"action": "commit_then_drop"}),
    ("POST", PURCHASES, 2, {"action": "commit_then_drop"}),
    ("POST", JOURNAL, 1, {"action": "commit_then_drop"}),
    ("POST", SALES, 2, {"status": 429}),
]


def day_used(rig: Rig) -> int:
    used = rig.sandbox.state()["rate_limits"]["used"]
    return sum(int(v["day_used"]) for k, v in used.items() if k.endswith(f"/{DIV}"))


def test_exact_faults_end_in_exactly_once(make_rig) -> None:  # type: ignore[no-untyped-def]
    size = soak(150, 1500)
    rig = make_rig(store="sqlite", login=False)
    rig.sandbox.advance(-120)
    rig.login()
    work = generate(SEED, size=size)
    rig.apply_settings(work.settings)

    # the creditors first; then the accountant makes one of them "not a supplier" in Exact
    creditors = [e for e in work.events if e.type == "creditor.upserted"]
    rest = [e for e in work.events if e.type != "creditor.upserted"]
    rig.publish(creditors)
    rig.drain()
    victim = creditors[0].record
    assert victim is not None
    refused = [e for e in rest if e.type == "purchase_invoice.received"
               and json.loads(e.body)["data"]["Creditor"] == victim[2]]
    assert refused, "the workload has purchase invoices of the victim creditor"
    rig.accountant_put("creditor", victim[2], {"IsSupplier": False})

    for method, path, count, kind in FAULTS:
        rig.sandbox.fault(method, path, count, **kind)
    rig.sandbox.limits(minutely=25)
    rig.publish(rest)
    worker = rig.start_worker("--burst", HFEXACT_HTTP_TIMEOUT_SECONDS=str(TIMEOUT))

    # minute limit: 429s, then the window "resets" (the limit goes back up)
    wait_until(lambda: rig.sandbox.counters()["rate_limited"] >= 5, 60, what="minute 429s")
    minute_429 = rig.sandbox.counters()["rate_limited"]
    rig.sandbox.limits(minutely=1_000_000)

    # day limit: Exact lowers the day's limit to what was used: the next call gets a 429 for
    # the day, and everything waits for tomorrow
    rig.sandbox.limits(daily=day_used(rig))
    store = rig.open_store()
    try:
        wait_until(lambda: (store.get_budget(DIV) or _empty()).day_remaining == 0, 60,
                   what="day budget spent")
        # a call already on its way may still land: a slow one is counted DELAY after it
        # arrived (with eight lanes all three slow calls were once in flight at that moment)
        time.sleep(DELAY + 0.5)
        waiting_since = rig.sandbox.counters()["calls"]
        time.sleep(2.0)  # the worker keeps cycling the events through the retry queues ...
        assert rig.sandbox.counters()["calls"] == waiting_since, "no calls while the day is spent"
        assert rig.dead_letters() == [] or all(
            h.get("x-hfexact-error") == "exact_rejected" for _, h in rig.dead_letters())
        assert worker.alive
        parked = sum(rig.depths().values())
        assert parked > 0, "the waiting events are in the queues, visibly"
        # ... until the next day: Exact's counter resets, the worker's stored budget with it
        rig.sandbox.limits(daily=10_000_000)
        store.drop_budget(DIV)
    finally:
        store.close()
    assert worker.wait(240) == 0
    state = rig.sandbox.state()
    assert state["faults"] == [], f"every injected fault was consumed: {state['faults']}"
    applied = state["counters"]["faults_applied"]
    limited = state["counters"]["rate_limited"]
    assert limited > minute_429, "a 429 for the day was answered too"

    # the validation errors: dead-lettered at once with Exact's message, never retried
    verdict = rig.verify(work)
    assert set(verdict.dead_letters) == {e.event_id for e in refused}, verdict.dead_letters
    assert all(letter["error"] == "exact_rejected" and "Ongeldig" in letter["reason"]
               for letter in verdict.dead_letters.values()), verdict.dead_letters
    refused_ids = {e.event_id for e in refused}
    settled = [r for r in json_lines(worker.log) if r.get("event_id") in refused_ids]
    assert not [r for r in settled if r.get("error") == "exact_rejected"
                and r.get("outcome") != "dead_lettered"], "a validation error is never retried"
    assert sorted(r["event_id"] for r in settled if r.get("outcome") == "dead_lettered") == \
        sorted(refused_ids)
    assert not verdict.lost
    assert not verdict.duplicated
    assert not verdict.pending_bindings

    # the accountant fixes the account; the letters are replayed and land once
    rig.accountant_put("creditor", victim[2], {"IsSupplier": True})
    replay = rig.run_cli("dlq", "replay", "--all")
    assert replay.returncode == 0, replay.stderr
    rig.drain()
    verdict = rig.verify(work)
    report.record("3 Exact faults", **verdict.counts(),
                  faults=applied + limited + len(refused), faults_applied=applied,
                  minute_429=minute_429, day_429=limited - minute_429,
                  validation_500=len(refused))
    verdict.assert_exactly_once()
    assert verdict.dead_lettered == 0
    assert verdict.exported_once == len(work.expected)


def _empty():  # type: ignore[no-untyped-def]
    from hfexact.store import Budget

    return Budget()
