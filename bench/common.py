"""What every benchmark shares: the result row, percentiles, timing, and the machine's state.

A benchmark returns ``Section``: its rows (one figure each, with the target and, where there is
one, the baseline measured in the same process run right beside it, so a ratio holds on a noisy
machine) and a free-form ``detail`` mapping that goes into the JSON as it is.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    """One measured figure, as it appears in the table and in the JSON."""

    group: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    ok: bool | None = None
    baseline: str = ""
    ratio: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Section:
    """What one benchmark measured."""

    name: str
    rows: list[Row] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""

    def add(self, name: str, value: float | None, unit: str, **kw: Any) -> Row:
        row = Row(self.name, name, value, unit, **kw)
        self.rows.append(row)
        return row


def percentile(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), nearest rank: a value that was really observed."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.inf


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` holds the seconds taken."""
    box: list[float] = [0.0]
    started = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True, check=False, timeout=10).stdout.strip()
    except OSError:
        commit = ""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}", "commit": commit,
    }


def fmt(value: float | None, unit: str) -> str:
    """A figure for the table: thousands separated, few decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "" or unit.startswith("calls"):
        text = f"{value:,.2f}" if value != int(value) else f"{int(value):,}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return f"{text} {unit}".strip()
