"""ProgressReporter: counts and ETA as log lines when not on a terminal, throttled."""

from __future__ import annotations

from structlog.testing import capture_logs

from hfexact.progress import ProgressReporter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_log_lines_carry_counts_rate_and_eta() -> None:
    """Updates within the interval are not logged; the last one (total reached) is."""
    clock = FakeClock()
    with capture_logs() as logs, ProgressReporter("replay", 100, interactive=False,
                                                  every_seconds=10.0, clock=clock) as p:
        clock.now += 5
        p.update(10)          # first update: logged
        clock.now += 5
        p.update(20)          # 5 s later: not logged
        clock.now += 6
        p.update(30)          # 11 s after the first: logged
        clock.now += 1
        p.update(100)         # total reached: logged
    updates = [e for e in logs if e["event"] == "progress.update"]
    assert [u["done"] for u in updates] == [10, 30, 100]
    assert updates[0]["rate_per_second"] == 2.0
    assert updates[0]["eta_seconds"] == 45
    assert updates[0]["percent"] == 10.0
    assert updates[-1]["eta_seconds"] == 0
    (finished,) = [e for e in logs if e["event"] == "progress.finished"]
    assert finished["done"] == 100
    assert finished["ok"] is True


def test_unknown_total_has_no_eta() -> None:
    clock = FakeClock()
    with capture_logs() as logs, ProgressReporter("read", None, interactive=False,
                                                  clock=clock) as p:
        clock.now += 2
        p.update(4, note="page 4")
    (update,) = [e for e in logs if e["event"] == "progress.update"]
    assert update["eta_seconds"] is None
    assert update["note"] == "page 4"
