"""Scenario 7: dead letters replayed twice after the cause is fixed; each lands once.

Sales invoices with 9 % lines arrive while the installation's settings do not map that rate
yet: each is dead-lettered (translation) with the reason, and the relay happened to publish
every one of them twice, so every event has two letters. The operator maps 9 % on the settings
page (a new settings version), then:

1. ``hfexact dlq replay --all``: one republish per event id, the extra copies removed;
2. the same letters come back (a second copy restored to the dead-letter queue, as a second
   operator or a backup restore would) and ``hfexact dlq replay --all`` runs again.

Each invoice is in Exact exactly once; the second replay was a no-op for Exact (duplicates).
"""

from __future__ import annotations

import contextlib
import random

import pika
import pika.exceptions

from tests.reliability import report
from tests.reliability.harness import Rig, outcomes_in_logs, wait_until
from tests.reliability.workload import (
    MAIN,
    complete_settings,
    generate,
    sales_at_rate,
    settings_without_rate,
)


def copy_letters(rig: Rig) -> list[tuple[pika.BasicProperties, bytes]]:
    """Every letter in ``<P>.exact.dead`` (left in place)."""
    out = []
    connection = pika.BlockingConnection(pika.URLParameters(rig.admin_url))
    try:
        channel = connection.channel()
        while True:
            method, props, body = channel.basic_get(rig.names.exact_dead, auto_ack=False)
            if method is None:
                return out
            out.append((props, bytes(body)))
    finally:
        with contextlib.suppress(pika.exceptions.AMQPError):
            connection.close()


def restore_letters(rig: Rig, letters: list[tuple[pika.BasicProperties, bytes]]) -> None:
    with rig.admin() as channel:
        channel.confirm_delivery()
        for props, body in letters:
            channel.basic_publish(rig.names.dead, rig.names.exact, body, props, mandatory=True)


def test_replaying_dead_letters_twice_lands_each_once(make_rig) -> None:  # type: ignore[no-untyped-def]
    rig = make_rig(store="postgresql")
    rng = random.Random(77)
    work = generate(77, size=80, with_batch=False)
    unmapped = sales_at_rate(work, "9")
    count = len(unmapped)
    assert count >= 5
    rig.apply_settings([settings_without_rate(MAIN, "9", rng)])
    rig.publish([*work.events, *unmapped])  # the relay published these twice
    worker = rig.start_worker(name="worker")  # one worker all along: it never restarts

    def settled() -> bool:
        return rig.drained() and len(copy_letters(rig)) == 2 * count

    wait_until(settled, 90, what="everything settled before the fix")
    before = rig.verify(work)
    letters = copy_letters(rig)
    assert {str(p.message_id) for p, _ in letters} == {e.event_id for e in unmapped}
    assert all(before.dead_letters[e.event_id]["error"] == "translation" for e in unmapped)
    assert all("9%" in before.dead_letters[e.event_id]["reason"] for e in unmapped)
    assert before.exported_once == len(work.expected) - count

    rig.apply_settings([complete_settings(MAIN, rng)])  # the operator's fix
    replay = rig.run_cli("dlq", "replay", "--all")
    assert replay.returncode == 0, replay.stderr
    assert f"replayed {count} event(s)" in replay.stdout
    assert f"removed {count} extra copies" in replay.stdout
    wait_until(lambda: rig.verify(work).exported_once == len(work.expected), 60, step=0.5,
               what="the replayed invoices booked")
    rig.verify(work).assert_exactly_once()

    restore_letters(rig, letters)  # both copies of every letter come back
    again = rig.run_cli("dlq", "replay", "--all")
    assert again.returncode == 0, again.stderr
    wait_until(lambda: rig.drained() and outcomes_in_logs([worker])["duplicate"] >= count, 60,
               step=0.5, what="the second replay settled")
    assert worker.term(30) == 0
    verdict = rig.verify(work)
    outcomes = outcomes_in_logs(rig.procs)
    report.record("7 replay twice", **verdict.counts(), faults=2 * count,
                  letters=len(letters), replays=2, duplicates_on_second=outcomes["duplicate"])
    verdict.assert_exactly_once()
    assert verdict.dead_lettered == 0
    assert verdict.exported_once == len(work.expected)
    assert outcomes["duplicate"] >= count, "the second replay changed nothing in Exact"
