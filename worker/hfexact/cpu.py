"""Keeping the worker on one CPU (``HFEXACT_WORKER_CPU``).

A worker's threads (the connection's and its lanes) share one interpreter lock: only one of them
runs Python at a time, so the worker never uses more than about one CPU. Spread over several
CPUs they still pay for it: each time one thread waits for the network or the disk and another
takes the lock over, the lock moves from core to core, with a wake-up across cores each time
(34 voluntary context switches per event with four lanes on two cores). Kept on one CPU, the
same work took 11 per event and 20-30 % less CPU time (docs/performance.md). The broker, the
database and other processes stay free to use every CPU; the kernel moves them off ours.

``auto`` (the default) picks the allowed CPU that was least busy over a tenth of a second at
start-up (of those about as idle, the highest-numbered), and none that another worker of the
machine keeps to (``CpuClaims``), so that workers started together spread out; ``all`` leaves
the worker to the scheduler; a number names the CPU. Only Linux can keep a process on a CPU;
elsewhere ``auto`` does nothing and a number is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from hfexact.errors import ConfigError

AUTO = "auto"
ALL = "all"
SAMPLE_SECONDS = 0.1
#: CPUs this close to the least busy one count as idle as it
CLOSE = 0.10

#: cpu number -> (busy, total) clock ticks since boot
Times = Mapping[int, tuple[int, int]]


def check_setting(value: str) -> str | None:
    """The problem with an ``HFEXACT_WORKER_CPU`` value, or None when it is valid."""
    if value in (AUTO, ALL) or (value.isdigit() and int(value) < 4096):
        return None
    return f"HFEXACT_WORKER_CPU must be auto, all or a CPU number, not {value!r}"


def cpu_times(stat: str) -> dict[int, tuple[int, int]]:
    """Per-CPU (busy, total) ticks from the text of ``/proc/stat``; idle and iowait are not
    busy."""
    times: dict[int, tuple[int, int]] = {}
    for line in stat.splitlines():
        name, _, rest = line.partition(" ")
        if not name.startswith("cpu") or name == "cpu":
            continue
        ticks = [int(t) for t in rest.split()[:8]]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
        total = sum(ticks)
        times[int(name[3:])] = (total - idle, total)
    return times


def by_idleness(before: Times, after: Times, allowed: set[int]) -> list[int]:
    """The allowed CPUs in the order to try them: those within ``CLOSE`` of the least busy
    share between two samples, highest number first (CPU 0 takes the devices' interrupts on
    most machines), then the others from less to more busy. A CPU missing from a sample counts
    as fully busy."""

    def share(cpu: int) -> float:
        if cpu not in before or cpu not in after:
            return 1.0
        busy = after[cpu][0] - before[cpu][0]
        total = after[cpu][1] - before[cpu][1]
        return busy / total if total > 0 else 0.0

    shares = {cpu: share(cpu) for cpu in sorted(allowed)}
    lowest = min(shares.values())
    idle = [cpu for cpu, value in shares.items() if value <= lowest + CLOSE]
    rest = sorted((cpu for cpu in shares if cpu not in idle), key=lambda cpu: shares[cpu])
    return sorted(idle, reverse=True) + rest


def _read_stat() -> dict[int, tuple[int, int]]:
    try:
        return cpu_times(Path("/proc/stat").read_text(encoding="ascii"))
    except OSError:
        return {}


class CpuClaims:
    """Which CPUs the workers of this machine keep to: one lock file per CPU in ``directory``
    (``/dev/shm`` where there is one), locked with ``flock`` by the worker that keeps to that
    CPU for as long as it lives; the kernel lets go when the process ends, even on ``kill -9``.
    A worker started beside others takes a CPU none of them holds."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: dict[int, int] = {}  # cpu -> open file descriptor holding its lock

    @property
    def held(self) -> set[int]:
        return set(self._held)

    def take(self, cpu: int) -> bool:
        """Lock ``cpu`` for this process; False when another worker holds it. When the lock
        cannot be kept at all (no writable directory), the CPU is taken unlocked."""
        if cpu in self._held:
            return True
        try:
            fd = os.open(self.directory / f"hfexact-worker-cpu{cpu}.lock",
                         os.O_RDONLY | os.O_CREAT, 0o644)  # flock needs no write access
        except OSError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._held[cpu] = fd
        return True

    def release(self) -> None:
        held, self._held = self._held, {}
        for fd in held.values():
            os.close(fd)


def _lock_directory() -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - shared by the services of one machine, unlike /tmp
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


_claims: CpuClaims | None = None


def machine_claims() -> CpuClaims:
    """This process's claims, in the machine's lock directory."""
    global _claims
    if _claims is None:
        _claims = CpuClaims(_lock_directory())
    return _claims


def choose_cpu(setting: str, *, allowed: set[int] | None = None,
               read: Callable[[], Times] = _read_stat,
               sleep: Callable[[float], None] = time.sleep,
               claims: CpuClaims | None = None) -> int | None:
    """The CPU the worker should keep to, or None to leave it to the scheduler; ``allowed``:
    the CPUs this process may use (asked of the system when not given).

    ``auto`` keeps the CPU it chose claimed (``CpuClaims``) while the process lives; asked
    again, the process gets the same CPU. When other workers hold every allowed CPU, the
    scheduler decides."""
    if setting == ALL:
        return None
    if allowed is None:
        if not hasattr(os, "sched_getaffinity"):
            if setting == AUTO:
                return None
            raise ConfigError([f"HFEXACT_WORKER_CPU={setting}: this system cannot keep a "
                               f"process on one CPU; use auto or all"])
        allowed = os.sched_getaffinity(0)
    if setting != AUTO:
        cpu = int(setting)
        if cpu not in allowed:
            raise ConfigError([f"HFEXACT_WORKER_CPU={cpu} is not one of the CPUs this process "
                               f"may use ({', '.join(map(str, sorted(allowed)))})"])
        return cpu
    if len(allowed) < 2:
        return None
    claims = claims or machine_claims()
    mine = claims.held & allowed
    if mine:
        return min(mine)
    before = read()
    sleep(SAMPLE_SECONDS)
    return next((cpu for cpu in by_idleness(before, read(), allowed) if claims.take(cpu)), None)


def keep_process_on(cpu: int) -> None:
    """Every thread of this process, and every thread they start later, runs on ``cpu``."""
    for task in _threads():
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(task, {cpu})


def _threads() -> list[int]:
    try:
        return [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return [0]  # no /proc: at least the calling thread


@contextlib.contextmanager
def calling_thread_on(cpu: int | None) -> Iterator[None]:
    """The calling thread, and the threads it starts meanwhile, run on ``cpu``; the old set
    comes back afterwards (for running a worker inside another program, e.g. a benchmark)."""
    if cpu is None:
        yield
        return
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


@contextlib.contextmanager
def as_the_worker_command(setting: str) -> Iterator[int | None]:
    """The calling thread on the CPU ``hfexact worker`` would keep to (for a worker run inside
    another program: the demo, a benchmark); yields that CPU, None for any."""
    cpu = choose_cpu(setting)
    with calling_thread_on(cpu):
        yield cpu
