"""Choosing the one CPU a worker keeps to (``HFEXACT_WORKER_CPU``), and keeping it there."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from hfexact.config import Settings
from hfexact.cpu import calling_thread_on, check_setting, choose_cpu, cpu_times, least_busy
from hfexact.errors import ConfigError

STAT = """cpu  500 0 300 9000 100 0 20 0 0 0
cpu0 400 0 200 4000 50 0 10 0 0 0
cpu1 100 0 100 5000 50 0 10 0 0 0
intr 12345 0 0
ctxt 999
"""


def test_cpu_times_count_idle_and_iowait_as_not_busy() -> None:
    assert cpu_times(STAT) == {0: (610, 4660), 1: (210, 5260)}


def test_least_busy_takes_the_idlest_allowed_cpus() -> None:
    before = {0: (0, 0), 1: (0, 0), 2: (0, 0), 3: (0, 0)}
    after = {0: (10, 100), 1: (90, 100), 2: (50, 100), 3: (19, 100)}
    assert least_busy(before, after, {0, 1, 2, 3}) == [0, 3]  # 3 is within 10 points of 0
    assert least_busy(before, after, {1, 2}) == [2]  # CPU 0 is not ours to take


def test_least_busy_distrusts_a_cpu_missing_from_a_sample() -> None:
    before = {0: (0, 0), 1: (0, 0)}
    after = {0: (5, 100), 1: (5, 100)}
    assert least_busy(before, after, {0, 1, 7}) == [0, 1]  # 7 is in no sample: counted busy


def test_auto_samples_the_system_once_and_picks_among_the_least_busy() -> None:
    samples = iter([{0: (0, 0), 1: (0, 0), 2: (0, 0)},
                    {0: (20, 100), 1: (80, 100), 2: (25, 100)}])
    slept: list[float] = []
    offered: list[list[int]] = []

    def pick(cpus: list[int]) -> int:
        offered.append(cpus)
        return cpus[-1]

    cpu = choose_cpu("auto", allowed={0, 1, 2}, read=lambda: next(samples), sleep=slept.append,
                     pick=pick)
    assert cpu == 2
    assert offered == [[0, 2]]
    assert slept == [0.1]


def test_workers_started_together_on_an_idle_machine_spread_out() -> None:
    """The real random pick: 200 choices on four idle CPUs use every one of them."""
    idle = dict.fromkeys(range(4), (0, 100))
    chosen = {choose_cpu("auto", allowed={0, 1, 2, 3}, read=lambda: idle, sleep=lambda _: None)
              for _ in range(200)}
    assert chosen == {0, 1, 2, 3}


def test_auto_with_one_cpu_and_all_leave_the_scheduler_alone() -> None:
    def never() -> dict[int, tuple[int, int]]:
        raise AssertionError("nothing to sample")

    assert choose_cpu("auto", allowed={3}, read=never) is None
    assert choose_cpu("all", allowed={0, 1}, read=never) is None


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
