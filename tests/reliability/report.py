"""Per-scenario count lines of a reliability run, kept independent of ``-s``.

Tests call ``record(scenario, events=..., faults=..., exported_once=..., dead_lettered=...,
lost=..., duplicated=..., **more)``; the conftest writes them all to
``tests/reliability/last_run.json`` (not committed) and prints them in pytest's terminal summary.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

LAST_RUN = Path(__file__).with_name("last_run.json")
RESULTS: dict[str, dict[str, Any]] = {}
STARTED = time.time()


def record(scenario: str, **counts: Any) -> None:
    RESULTS[scenario] = {**counts, "recorded_at": round(time.time() - STARTED, 1)}


def line(scenario: str, counts: dict[str, Any]) -> str:
    main = ("events", "faults", "exported_once", "dead_lettered", "lost", "duplicated")
    head = " ".join(f"{k}={counts[k]}" for k in main if k in counts)
    rest = " ".join(f"{k}={v}" for k, v in counts.items() if k not in main and k != "recorded_at")
    return f"{scenario}: {head}" + (f" ({rest})" if rest else "")


def write(duration: float) -> None:
    LAST_RUN.write_text(json.dumps({"duration_seconds": round(duration, 1),
                                    "scenarios": RESULTS}, indent=2, default=str) + "\n",
                        encoding="utf-8")
