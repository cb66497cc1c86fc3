"""Scenario 4: OAuth tokens under load, several processes and a crash.

Exact's rules (reference §1.3-1.5): access tokens live 600 s, refresh tokens rotate and are
single use ("Old refresh token used." kills the connection), no refresh within 570 s of the
last. Tests cannot wait ten minutes, so ``age_tokens`` makes the last consent ``age`` seconds
old on both sides at once: the sandbox clock moves forward and the stored token times move
back by the same amount (the worker's clock is the real one).

- mid-batch: the access token becomes due a few seconds into a batch worked by two workers;
- 2 and 8 idle workers get a batch at the same moment while the token is due: exactly one
  token call, no "Old refresh token used", nothing lost or doubled;
- a worker is killed right after the token response was committed (crash point
  ``after_token_saved``): its successor uses the saved tokens, no second token call.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.reliability import report
from tests.reliability.harness import (
    CLIENT_ID,
    Proc,
    Rig,
    age_tokens,
    json_lines,
    token_calls,
    wait_until,
)
from tests.reliability.workload import generate


def assert_no_token_trouble(procs: list[Proc]) -> None:
    for proc in procs:
        text = proc.text()
        assert "Old refresh token used" not in text, proc.log
        assert "authorization_lost" not in text, proc.log


def finish(rig: Rig, procs: list[Proc], timeout: float = 120.0) -> None:
    """Long-running workers: wait until the queue is drained, then SIGTERM them."""
    wait_until(rig.drained, timeout, what="queue drained")
    time.sleep(1.0)  # the last messages in hand are settled (acked) first
    wait_until(rig.drained, timeout, what="queue drained")
    for proc in procs:
        assert proc.term(30) == 0, proc.text()[-2000:]


def _at(record: dict[str, object]) -> float:
    return dt.datetime.fromisoformat(str(record["timestamp"]).replace("Z", "+00:00")).timestamp()


def test_access_token_expires_mid_batch(make_rig) -> None:  # type: ignore[no-untyped-def]
    """Two workers are booking when Exact's access token expires (the sandbox clock passes
    600 s): Exact answers 401, one worker refreshes, the other uses its tokens; the batch
    goes on."""
    rig = make_rig(store="postgresql")
    work = generate(41, size=200)
    rig.apply_settings(work.settings)
    rig.publish(work.events)
    procs = [rig.start_worker("--burst") for _ in range(2)]

    def processed() -> int:
        return sum(1 for p in procs for r in json_lines(p.log)
                   if r.get("event") == "event.processed")

    wait_until(lambda: processed() >= 20, 60, step=0.1, what="the batch under way")
    before = token_calls(rig)
    age_tokens(rig, 599)  # the access token the workers hold expires now
    for proc in procs:
        assert proc.wait(180) == 0, proc.text()[-2000:]
    verdict = rig.verify(work)
    refreshed = [r for p in procs for r in json_lines(p.log)
                 if r.get("event") == "exact.token_refreshed"]
    stamps = sorted(_at(r) for p in procs for r in json_lines(p.log)
                    if r.get("event") == "event.processed")
    report.record("4a token expires mid-batch", **verdict.counts(), faults=1,
                  token_calls=token_calls(rig) - before)
    verdict.assert_exactly_once()
    assert token_calls(rig) - before == 1
    assert len(refreshed) == 1
    assert stamps[0] < _at(refreshed[0]) < stamps[-1], "the refresh came mid-batch"
    assert_no_token_trouble(procs)


@pytest.mark.parametrize("workers", [2, 8])
def test_workers_needing_a_refresh_at_once_make_one_token_call(  # type: ignore[no-untyped-def]
        make_rig, workers: int) -> None:
    rig = make_rig(store="postgresql")
    work = generate(40 + workers, size=max(40, 6 * workers))
    rig.apply_settings(work.settings)
    procs = [rig.start_worker(name=f"idle{i}") for i in range(workers)]
    wait_until(lambda: all("worker.started" in p.text() for p in procs), 60,
               what="workers started")
    age_tokens(rig, 571)  # due now, and Exact allows the refresh
    before = token_calls(rig)
    rig.publish(work.events)  # every idle worker takes a message and needs the token now
    finish(rig, procs)
    verdict = rig.verify(work)
    refreshed = [r for p in procs for r in json_lines(p.log)
                 if r.get("event") == "exact.token_refreshed"]
    busy = sum(1 for p in procs if any(r.get("event") == "event.processed"
                                       for r in json_lines(p.log)))
    report.record(f"4b {workers} workers refresh at once", **verdict.counts(), faults=1,
                  token_calls=token_calls(rig) - before, workers_busy=busy)
    verdict.assert_exactly_once()
    assert token_calls(rig) - before == 1
    assert len(refreshed) == 1
    assert busy >= min(workers, 2), "several workers really worked at once"
    assert_no_token_trouble(procs)


def test_crash_right_after_the_token_response(make_rig) -> None:  # type: ignore[no-untyped-def]
    rig = make_rig(store="postgresql")
    work = generate(44, size=40)
    rig.apply_settings(work.settings)
    rig.publish(work.events)
    old = age_tokens(rig, 571)
    before = token_calls(rig)
    crashed = rig.start_worker("--burst", name="dies", HFEXACT_CRASH_AT="after_token_saved")
    assert crashed.wait(60) == -9
    assert crashed.crash_points() == ["after_token_saved"]
    assert token_calls(rig) - before == 1
    store = rig.open_store()
    try:
        saved = store.load_tokens(CLIENT_ID)
    finally:
        store.close()
    assert saved is not None
    assert saved.refresh_token != old.refresh_token, "the new refresh token was saved first"

    survivor = rig.start_worker("--burst", name="survivor")
    assert survivor.wait(120) == 0, survivor.text()[-2000:]
    verdict = rig.verify(work)
    report.record("4c crash after token response", **verdict.counts(), faults=1,
                  token_calls=token_calls(rig) - before)
    verdict.assert_exactly_once()
    assert token_calls(rig) - before == 1, "the successor used the saved tokens"
    assert_no_token_trouble([crashed, survivor])
