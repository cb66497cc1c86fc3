"""Benchmark 5: how the cost grows.

a) calls and time for 10, 100, 1,000 and 10,000 invoices of 20 known debtors,
   each size on a fresh sandbox (child process, limits off) and a fresh SQLite store, through
   the processor; calls counted by the sandbox.
b) store size per 10,000 exported records: the SQLite file (after a WAL checkpoint) before and
   after the largest size, per record, times 10,000 (extrapolated unless 10,000 ran).
c) worker memory: ``bench.memory`` in a child process (so nothing else is in its heap).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bench.common import ROOT, Section, stopwatch
from bench.env import (
    BenchSandbox,
    bench_settings,
    connect,
    invoices,
    process,
    ready_processor,
    scratch_dir,
    sqlite_url,
)
from hfexact.store import Store


def store_bytes(store: Store, path: Path) -> int:
    """Bytes on disk of the SQLite store (database + WAL), the WAL folded in first when the
    store's connections let a checkpoint through."""
    store.engine.dispose()  # idle pooled connections hold nothing, but let them go
    with contextlib.closing(sqlite3.connect(path)) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def one_size(n: int) -> dict[str, float]:
    with BenchSandbox() as sandbox, scratch_dir() as tmp:
        settings = bench_settings(sandbox.base_url, sqlite_url(tmp))
        store, client = connect(settings, max_inline_wait=0.0)
        processor = ready_processor(settings, store, client, debtors=20)
        bodies = invoices(50_000, n, 20)
        path = tmp / "store.sqlite3"
        size_before = store_bytes(store, path)
        calls_before = sandbox.calls()
        with stopwatch() as took:
            for body in bodies:
                assert process(processor, body) == "done"
        calls = sandbox.calls() - calls_before
        size_after = store_bytes(store, path)
        processor.close()
    return {"invoices": n, "calls": calls, "seconds": took[0],
            "store_bytes_added": size_after - size_before, "store_bytes": size_after}


def run(largest: int = 10_000) -> Section:
    section = Section("5 scaling")
    sizes = [n for n in (10, 100, 1000, 10_000) if n <= largest]
    runs = [one_size(n) for n in sizes]
    base = runs[0]["seconds"] / runs[0]["invoices"]
    for r in runs:
        n = int(r["invoices"])
        per = r["seconds"] / n
        section.add(f"{n:,} invoices", r["calls"] / n, "calls/invoice", target="<= 1",
                    ok=r["calls"] / n <= 1.0,
                    note=f"{int(r['calls']):,} calls, {r['seconds']:,.1f} s, "
                         f"{per * 1000:.1f} ms/invoice ({per / base:.2f} x the 10-invoice cost)")
    biggest = runs[-1]
    per_record = biggest["store_bytes_added"] / biggest["invoices"]
    measured = biggest["invoices"] >= 10_000
    section.add("store size per 10,000 exported invoices", per_record * 10_000 / 1e6, "MB",
                note=("measured" if measured else
                      f"extrapolated from {int(biggest['invoices']):,} "
                      f"({per_record:,.0f} B each)") + "; SQLite, bindings + activity")
    section.detail["sizes"] = runs
    section.detail["store_bytes_per_record"] = per_record
    return section


def memory(events: int) -> Section:
    """Worker RSS after ``events`` events (``bench.memory`` in a child process)."""
    section = Section("5 scaling")
    out = subprocess.run([sys.executable, "-m", "bench.memory", "--events", str(events)],
                         cwd=ROOT, capture_output=True, text=True, timeout=1200, check=False,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode != 0:
        section.error = f"bench.memory failed: {out.stderr[-300:]}"
        return section
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    section.detail["memory"] = doc
    growth = doc["growth_mb"]
    if doc.get("store_bytes_added") and events >= 10_000:
        per = doc["store_bytes_added"] / events
        section.add("store size per 10,000 exported invoices (measured)", per * 10_000 / 1e6,
                    "MB", note=f"{events:,} invoices booked into one SQLite store "
                               f"({per:,.0f} B each)")
    section.add(f"worker RSS after {events:,} events", doc["rss_end_mb"], "MB",
                note=f"{doc['rss_warm_mb']:.1f} MB after warm-up "
                     f"({doc['warm_events']:,} events); {doc['events_per_s']:,.0f} events/s "
                     f"through validate + translate + store (Exact answered in-process)")
    half = doc["growth_second_half_mb"]
    section.add("  RSS growth over the second half", half, "MB", target="no growth (< 1 MB)",
                ok=half < 1.0,
                note=f"{growth:.1f} MB after the first 10 % (SQLite's 2 MB page cache filling); "
                     "samples: " + ", ".join(f"{x:.1f}" for x in doc["samples_mb"][::4]))
    return section
