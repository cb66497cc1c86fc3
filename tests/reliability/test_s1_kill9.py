"""Scenario 1: ``kill -9`` of worker processes at random points, many times, during >= 500 events.

Two ``hfexact worker --burst`` processes share one queue and one PostgreSQL store. They die
two ways, over and over:

- inside: the test-only crash hook (``HFEXACT_CRASH_AT``) kills a worker with SIGKILL just
  before a write to Exact, between Exact's answer and the store commit, and between the store
  commit and the ack;
- outside: the test sends ``kill -9`` to a random worker at random moments.

Dead workers are restarted until the queue drains. Then every HostFact record must be in the
sandbox exactly once, with the latest debtor version, no binding pending, nothing queued, and
nothing dead-lettered.
"""

from __future__ import annotations

import random
import time

from tests.reliability import report
from tests.reliability.conftest import soak
from tests.reliability.harness import Proc, Rig
from tests.reliability.workload import DIV, generate

POINTS = ("before_call", "after_call", "after_commit")
SEED = 20261128


def run_with_crashes(rig: Rig, *, workers: int, probability: float, kill_every: tuple[float,
                     float], kills: int, seed: int, timeout: float) -> dict[str, int]:
    """Keep ``workers`` burst workers running (restarting the dead) until the queue drains;
    ``kills`` external kill -9s come first, at random moments. Returns the faults injected."""
    rng = random.Random(seed)
    started = time.monotonic()
    slots: list[Proc | None] = [None] * workers
    external = 0
    restarts = 0
    next_kill = started + rng.uniform(*kill_every)
    spawned = 0

    def spawn() -> Proc:
        nonlocal spawned
        spawned += 1
        # the first three die for sure, one at each point; then every point at random
        points = (f"{POINTS[spawned - 1]}:1" if spawned <= len(POINTS) else ",".join(POINTS))
        return rig.start_worker("--burst", name="crashy", HFEXACT_CRASH_AT=points,
                                HFEXACT_CRASH_PROBABILITY=str(probability),
                                HFEXACT_CRASH_SEED=str(seed * 1000 + spawned))

    while True:
        now = time.monotonic()
        assert now - started < timeout, f"not drained after {timeout} s: {rig.depths()}"
        clean = all(p is not None and not p.alive and p.returncode == 0 for p in slots)
        if clean and rig.drained():
            break
        drained: bool | None = None
        for index, proc in enumerate(slots):
            if proc is not None and proc.alive:
                continue
            if proc is not None and proc.returncode == 0:
                drained = rig.drained() if drained is None else drained
                if drained:
                    continue  # this one finished cleanly; the others may still work
            if proc is not None and proc.returncode != 0:
                restarts += 1
            slots[index] = spawn()
        if now >= next_kill and external < kills:
            # a worker that has had time to start (imports, store, broker) and take messages
            victims = [p for p in slots if p is not None and p.alive
                       and now - p.started > rng.uniform(1.5, 3.0)]
            if victims and rng.choice(victims).kill9():
                external += 1
            next_kill = now + rng.uniform(*kill_every)
        time.sleep(0.05)
    hooks = dict.fromkeys(POINTS, 0)
    for proc in rig.procs:
        for point in proc.crash_points():
            hooks[point] += 1
    return {"external_kills": external, "restarts": restarts, **hooks}


def test_kill9_at_random_points_loses_and_doubles_nothing(make_rig) -> None:  # type: ignore[no-untyped-def]
    size = soak(500, 3000)
    rig = make_rig(store="postgresql")
    work = generate(SEED, size=size)
    rig.apply_settings(work.settings)
    assert rig.publish(work.events) == size
    # Exact answers in 100-300 ms; 30 ms per sales entry keeps work in flight long enough for
    # the kills to land (without it two workers drain the 500 events in a few seconds)
    rig.sandbox.fault("POST", f"/api/v1/{DIV}/salesentry/SalesEntries", size, delay=0.03)

    faults = run_with_crashes(rig, workers=2, probability=soak(7, 5) / 1000,
                              kill_every=(0.7, 1.5), kills=soak(10, 100), seed=SEED,
                              timeout=soak(180, 1800))
    verdict = rig.verify(work)
    total = faults["external_kills"] + sum(faults[p] for p in POINTS)
    report.record("1 kill -9 of workers", **verdict.counts(), faults=total, **faults)

    verdict.assert_exactly_once()
    assert verdict.dead_lettered == 0, verdict.dead_letters
    assert verdict.exported_once == len(work.expected)
    # the faults really happened, at every point and from outside
    assert all(faults[p] >= 1 for p in POINTS), faults
    # kills come every 0.7-1.5 s until the queue is drained or the planned number is reached:
    # a quiet machine drains 500 events before all of them, so ask for a few, not all
    assert faults["external_kills"] >= 3, "the queue drained before the workers were killed"
    assert total >= 8, faults
