"""Choosing the one CPU a worker keeps to (``HFEXACT_WORKER_CPU``), and keeping it there."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hfexact.config import Settings
from hfexact.cpu import (
    CpuClaims,
    by_idleness,
    calling_thread_on,
    check_setting,
    choose_cpu,
    cpu_times,
)
from hfexact.errors import ConfigError

STAT = """cpu  500 0 300 9000 100 0 20 0 0 0
cpu0 400 0 200 4000 50 0 10 0 0 0
cpu1 100 0 100 5000 50 0 10 0 0 0
intr 12345 0 0
ctxt 999
"""


def test_cpu_times_count_idle_and_iowait_as_not_busy() -> None:
    assert cpu_times(STAT) == {0: (610, 4660), 1: (210, 5260)}


def test_by_idleness_puts_the_about_as_idle_first_then_the_rest_by_share() -> None:
    before = {0: (0, 0), 1: (0, 0), 2: (0, 0), 3: (0, 0)}
    after = {0: (10, 100), 1: (90, 100), 2: (50, 100), 3: (19, 100)}
    # 3 is within 10 points of 0, and the higher one goes first
    assert by_idleness(before, after, {0, 1, 2, 3}) == [3, 0, 2, 1]
    assert by_idleness(before, after, {1, 2}) == [2, 1]  # CPU 0 is not ours to take


def test_by_idleness_distrusts_a_cpu_missing_from_a_sample() -> None:
    before = {0: (0, 0), 1: (0, 0)}
    after = {0: (5, 100), 1: (5, 100)}
    assert by_idleness(before, after, {0, 1, 7}) == [1, 0, 7]  # 7: in no sample, busy


def test_auto_samples_once_and_takes_the_least_busy(tmp_path: Path) -> None:
    samples = iter([{0: (0, 0), 1: (0, 0), 2: (0, 0)},
                    {0: (20, 100), 1: (80, 100), 2: (45, 100)}])
    slept: list[float] = []
    claims = CpuClaims(tmp_path)
    cpu = choose_cpu("auto", allowed={0, 1, 2}, read=lambda: next(samples), sleep=slept.append,
                     claims=claims)
    assert cpu == 0
    assert slept == [0.1]
    # asked again, the process keeps its CPU without sampling
    assert choose_cpu("auto", allowed={0, 1, 2}, read=_never, claims=claims) == 0
    claims.release()


def test_workers_started_together_take_different_cpus(tmp_path: Path) -> None:
    """Each worker claims its CPU with a lock file; the next takes one nobody holds (here the
    other of two idle CPUs), and none is left when every CPU is held."""
    idle = dict.fromkeys(range(2), (0, 100))
    first, second, third = CpuClaims(tmp_path), CpuClaims(tmp_path), CpuClaims(tmp_path)
    one = choose_cpu("auto", allowed={0, 1}, read=lambda: idle, sleep=_nap, claims=first)
    two = choose_cpu("auto", allowed={0, 1}, read=lambda: idle, sleep=_nap, claims=second)
    assert (one, two) == (1, 0)
    assert choose_cpu("auto", allowed={0, 1}, read=lambda: idle, sleep=_nap, claims=third) is None
    first.release()  # the first worker ended
    assert choose_cpu("auto", allowed={0, 1}, read=lambda: idle, sleep=_nap,
                      claims=third) == one
    second.release()
    third.release()


def test_a_claim_ends_with_its_process_even_on_kill_9(tmp_path: Path) -> None:
    """A worker process killed with SIGKILL leaves its CPU free for the next one."""
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from hfexact.cpu import CpuClaims
        assert CpuClaims(Path({str(tmp_path)!r})).take(1)
        print("held", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        assert CpuClaims(tmp_path).take(1) is False
        child.kill()
        child.wait(timeout=30)
        after = CpuClaims(tmp_path)
        assert after.take(1) is True
        after.release()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def _never() -> dict[int, tuple[int, int]]:
    raise AssertionError("nothing to sample")


def _nap(_seconds: float) -> None:
    return None


def test_auto_with_one_cpu_and_all_leave_the_scheduler_alone() -> None:
    assert choose_cpu("auto", allowed={3}, read=_never) is None
    assert choose_cpu("all", allowed={0, 1}, read=_never) is None


def test_a_named_cpu_must_be_one_the_process_may_use() -> None:
    assert choose_cpu("1", allowed={0, 1}) == 1
    with pytest.raises(ConfigError, match=r"HFEXACT_WORKER_CPU=5 is not one of the CPUs this "
                                          r"process may use \(0, 1\)"):
        choose_cpu("5", allowed={0, 1})


def test_the_setting_is_auto_by_default_and_checked_at_start_up() -> None:
    assert Settings().worker_cpu == "auto"
    for good in ("auto", "all", "0", "12"):
        assert check_setting(good) is None
        assert Settings.from_env({"HFEXACT_WORKER_CPU": good}).worker_cpu == good
    for bad in ("any", "-1", "1.5", "one"):
        with pytest.raises(ConfigError, match="HFEXACT_WORKER_CPU must be auto, all or a CPU "
                                              "number"):
            Settings.from_env({"HFEXACT_WORKER_CPU": bad})


def test_calling_thread_on_keeps_the_thread_there_and_gives_the_old_set_back() -> None:
    previous = os.sched_getaffinity(0)
    cpu = max(previous)
    with calling_thread_on(cpu):
        assert os.sched_getaffinity(0) == {cpu}
    assert os.sched_getaffinity(0) == previous
    with calling_thread_on(None):
        assert os.sched_getaffinity(0) == previous


def test_keep_process_on_moves_every_thread_and_the_ones_started_later() -> None:
    """In a process of its own: threads that run before the call move too, threads started
    after it inherit the CPU."""
    script = textwrap.dedent("""
        import os, sys, threading
        from hfexact.cpu import keep_process_on
        cpu = max(os.sched_getaffinity(0))
        ready, done = threading.Event(), threading.Event()
        seen = {}
        def early():
            ready.set(); done.wait(10); seen["early"] = os.sched_getaffinity(0)
        t = threading.Thread(target=early); t.start(); ready.wait(10)
        keep_process_on(cpu)
        done.set(); t.join()
        def late():
            seen["late"] = os.sched_getaffinity(0)
        u = threading.Thread(target=late); u.start(); u.join()
        seen["main"] = os.sched_getaffinity(0)
        assert all(v == {cpu} for v in seen.values()), seen
        print("ok", sorted(seen))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok ['early', 'late', 'main']"


def test_a_worker_takes_a_busier_cpu_rather_than_one_another_worker_holds(
        tmp_path: Path) -> None:
    samples = [{0: (0, 0), 1: (0, 0)}, {0: (70, 100), 1: (5, 100)}]
    first, second = CpuClaims(tmp_path), CpuClaims(tmp_path)
    try:
        assert choose_cpu("auto", allowed={0, 1}, read=iter(samples).__next__, sleep=_nap,
                          claims=first) == 1
        assert choose_cpu("auto", allowed={0, 1}, read=iter(samples).__next__, sleep=_nap,
                          claims=second) == 0
    finally:
        first.release()
        second.release()
