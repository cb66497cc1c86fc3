"""Waiting for Exact's budget never holds a message unacknowledged.

RabbitMQ closes the channel of a consumer that holds a delivery longer than ``consumer_timeout``
(30 minutes by default; operators lower it). A worker that books into one division and finds
that division's day budget spent pauses consuming until the reset (at most a minute at a
time). During that pause the broker must not have handed it a message: the queue shows no
unacknowledged delivery, every waiting event is ready (or parked in a retry queue) for whoever
can take it, and none counts as a failed attempt.
"""

from __future__ import annotations

import time

from tests.reliability import report
from tests.reliability.harness import json_lines, wait_until
from tests.reliability.workload import DIV, generate


def test_a_paused_worker_holds_no_message(make_rig, suite_broker) -> None:  # type: ignore[no-untyped-def]
    rig = make_rig(store="sqlite", env_extra={"HFEXACT_DIVISIONS": ""})
    work = generate(90, size=30, with_batch=False)
    rig.apply_settings(work.settings)
    used = sum(int(v["day_used"]) for k, v in
               rig.sandbox.state()["rate_limits"]["used"].items() if k.endswith(f"/{DIV}"))
    rig.sandbox.limits(daily=used + 5)  # five calls left today
    rig.publish(work.events)
    worker = rig.start_worker(name="one-division")  # books into DIV only

    wait_until(lambda: any(r.get("event") == "worker.paused" for r in json_lines(worker.log)),
               60, what="the worker paused for the day budget")
    time.sleep(2.0)
    held = suite_broker.unacked(rig.prefix)
    depths = rig.depths()
    paused = [r for r in json_lines(worker.log) if r.get("event") == "worker.paused"]
    report.record("budget pause holds nothing", events=len(work.events), faults=1,
                  exported_once=0, dead_lettered=0, lost=0, duplicated=0,
                  unacked_while_paused=sum(held.values()), waiting=sum(depths.values()))
    assert worker.alive
    assert paused[-1]["seconds"] > 5, "it waits for the budget, not a fixed short delay"
    assert sum(held.values()) == 0, f"held unacknowledged while paused: {held}"
    assert sum(depths.values()) > 0, "the waiting events stay in the queues"
    assert rig.dead_letters() == []
    assert worker.term(30) == 0


def test_consuming_resumes_after_each_pause(make_rig) -> None:  # type: ignore[no-untyped-def]
    """Minute-limit 429s in a one-division worker: it pauses (consumer cancelled) and resumes
    on the same connection, again and again, and books everything once."""
    rig = make_rig(store="sqlite", login=False, env_extra={"HFEXACT_DIVISIONS": ""})
    rig.sandbox.advance(-120)  # minute resets are already past for the worker: short pauses
    rig.login()
    work = generate(91, size=40, with_batch=False)
    rig.apply_settings(work.settings)
    rig.sandbox.limits(minutely=12)
    rig.publish(work.events)
    worker = rig.start_worker(name="one-division")
    wait_until(lambda: sum(1 for r in json_lines(worker.log) if r.get("event") == "worker.paused")
               >= 3, 60, what="several pauses")
    rig.sandbox.limits(minutely=1_000_000)
    wait_until(lambda: rig.verify(work).exported_once == len(work.expected), 90, step=1.0,
               what="everything booked after the pauses")
    wait_until(rig.drained, 30, what="drained")
    assert worker.term(30) == 0
    verdict = rig.verify(work)
    records = list(json_lines(worker.log))
    pauses = sum(1 for r in records if r.get("event") == "worker.paused")
    report.record("budget pause and resume", **verdict.counts(),
                  faults=int(rig.sandbox.counters()["rate_limited"]), pauses=pauses)
    verdict.assert_exactly_once()
    assert not [r for r in records if r.get("event") == "worker.connection_lost"]
