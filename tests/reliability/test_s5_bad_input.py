"""Scenario 5: bad input is dead-lettered with a reason; the worker and the good events go on.

Between the events of a normal workload, the queue gets: malformed JSON, a wrong content type,
an unknown type, an unknown version, a missing field, amounts as JSON floats, a 10 MiB body,
invalid UTF-8, a 41-digit price (beyond Decimal's 28 digits: refused by the contract), and a
contract-valid invoice whose processing raises a plain ``RuntimeError`` (a bug-shaped poison
message, armed with ``HFEXACT_POISON_EVENT_IDS``). One worker, never restarted:

- each bad message is in ``<P>.exact.dead`` once, with a reason naming the problem;
- the worker handled everything and exited normally (no crash, no restart);
- no good event was delayed: none was retried, and each was settled at its first delivery.
"""

from __future__ import annotations

import random

from tests.reliability import report
from tests.reliability.harness import json_lines
from tests.reliability.workload import bad_inputs, generate


def test_bad_input_is_dead_lettered_and_nothing_else_waits(make_rig) -> None:  # type: ignore[no-untyped-def]
    rig = make_rig(store="sqlite")
    work = generate(55, size=80, with_batch=False)
    rig.apply_settings(work.settings)
    rng = random.Random(5505)  # not the workload's seed: event ids must differ
    bad = bad_inputs(rng)
    mixed = list(work.events)
    for event, word in bad:
        mixed.insert(rng.randrange(len(mixed) + 1), event)
        work.bad[event.event_id] = word
    rig.publish(mixed)

    (poison,) = [event.event_id for event, word in bad if word == "crash"]
    worker = rig.start_worker("--burst", HFEXACT_POISON_EVENT_IDS=poison)
    assert worker.wait(180) == 0, worker.text()[-3000:]
    verdict = rig.verify(work, extra_events=len(bad))
    report.record("5 bad input", **verdict.counts(), faults=len(bad),
                  kinds=",".join(sorted({v["error"] for v in verdict.dead_letters.values()})))

    verdict.assert_exactly_once()
    assert verdict.dead_lettered == len(bad)
    assert verdict.exported_once == len(work.expected)
    records = list(json_lines(worker.log))
    good = {e.event_id for e in work.events}
    settled = [r for r in records if r.get("event_id") in good and "outcome" in r]
    assert not [r for r in settled if r["outcome"] not in ("done", "duplicate", "ignored")], \
        "a good event was retried or delayed"
    assert all(r.get("attempts") == 0 and r.get("redelivered") is False for r in settled)
    assert len({r["event_id"] for r in settled}) == len(good)
    stopped = [r for r in records if r.get("event") == "worker.stopped"]
    assert len(stopped) == 1
    assert stopped[0]["handled"] == len(mixed)
    assert stopped[0]["reason"] == "drained"
    crashes = [r for r in records if r.get("outcome") == "crashed"]
    assert len(crashes) == 1, "the poison message crashed its processing, not the worker"
