"""Benchmark 3b: a burst of invoices under Exact's default limit (60 calls a minute).

The sandbox runs with the limits Exact uses (60/minute, 5,000/day, fixed windows on the whole
minute, reset times in the headers); the worker (real loop, processor, SQLite store, RabbitMQ)
meets a burst of invoices of known debtors published at once to ``<P>.events``. Measured: how
many invoices land per minute window while a backlog waits (the drain rate), the wall time, and
the 429s the sandbox answered (target: none, because the worker reserves every call from the
budget the headers report before it calls).

The sandbox clock is not moved: the worker compares reset times with its own clock, so a moved
sandbox clock would make it wait for the wrong moment; the benchmark takes the minutes it takes.
Runs in its own process (``python -m bench.drain --invoices N --out FILE``), so ``bench.run``
can run it beside the CPU benchmarks: it needs about one call a second of CPU.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.env import (
    BenchSandbox,
    Broker,
    bench_settings,
    connect,
    invoices,
    ready_processor,
    run_as_shipped,
    sandbox_entries,
    scratch_dir,
    sqlite_url,
)
from bench.overhead import TimedProcessor, publish
from hfexact.amqp import topology
from hfexact.exact.odata import parse_date
from hfexact.worker_loop import Worker

MINUTELY, DAILY = 60, 5000


def drain(n: int) -> dict[str, Any]:
    broker = Broker.fresh()
    with BenchSandbox() as sandbox, scratch_dir() as tmp:
        settings = bench_settings(sandbox.base_url, sqlite_url(tmp), amqp_url=broker.url,
                                  amqp_prefix=broker.prefix, retry_base_seconds=1.0,
                                  retry_max_seconds=64.0)
        broker.declare(settings)
        try:
            store, client = connect(settings)
            processor = ready_processor(settings, store, client, debtors=20)
            sandbox.limits(MINUTELY, DAILY)
            calls_before = sandbox.calls()
            timed = TimedProcessor(processor)
            done = Counter[str]()
            worker = Worker(settings, _Counting(timed, done, n), idle_seconds=0.5)
            counting = worker.processor
            assert isinstance(counting, _Counting)
            counting.worker = worker
            started = time.time()
            publish(broker.url, topology.Names(broker.prefix).events,
                    invoices(10_000, n, 20))
            thread = threading.Thread(target=run_as_shipped, args=(worker, settings), daemon=True,
                                      name="drain-worker")
            thread.start()
            thread.join(timeout=n * 2 + 180)
            worker.request_stop()
            finished = time.time()
            counters = sandbox.counters()
            entries = sandbox_entries(sandbox.control)
            calls = sandbox.calls() - calls_before
            processor.close()
        finally:
            broker.delete(settings)
    stamps = sorted(t.timestamp() for e in entries
                    if (t := parse_date(e["Created"])) is not None)
    return summarize(n, stamps, started, finished, calls, int(counters["rate_limited"]),
                     dict(worker.stats.outcomes))


class _Counting:
    """Stops the worker once ``n`` invoices are booked."""

    def __init__(self, inner: TimedProcessor, done: Counter[str], n: int) -> None:
        self.inner, self.done, self.n = inner, done, n
        self.worker: Worker | None = None
        self._lock = threading.Lock()  # the worker's lanes count from several threads

    def process(self, body: bytes, meta: Any) -> Any:
        outcome = self.inner.process(body, meta)
        with self._lock:
            self.done[outcome.status] += 1
            enough = self.done["done"] >= self.n
        if enough and self.worker is not None:
            self.worker.request_stop()
        return outcome


def summarize(n: int, stamps: list[float], started: float, finished: float, calls: int,
              rate_limited: int, outcomes: dict[str, int]) -> dict[str, Any]:
    """Invoices per clock-minute window (Exact's windows are whole minutes).

    The drain rate is the mean over the windows that had a backlog from start to end: every
    window but the first (the burst may start mid-minute) and the last (the remainder).
    """
    windows = Counter(math.floor(t / 60) for t in stamps)
    ordered = [windows[w] for w in range(min(windows), max(windows) + 1)] if windows else []
    inner = ordered[1:-1]
    rate = sum(inner) / len(inner) if inner else (float(ordered[0]) if ordered else 0.0)
    span = (stamps[-1] - started) if stamps else math.nan
    return {
        "invoices": n, "booked": len(stamps), "exact_calls": calls,
        "rate_limited_429": rate_limited, "per_window": ordered,
        "full_windows": len(inner), "drain_per_minute": rate,
        "wall_seconds": span, "overall_per_minute": len(stamps) / span * 60 if span else None,
        "run_seconds": finished - started, "outcomes": outcomes,
        "limits": {"minutely": MINUTELY, "daily": DAILY},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--invoices", type=int, default=150)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from hfexact.logs import configure

    configure("json", "info", stream=open(os.devnull, "w"))  # noqa: SIM115
    result = drain(args.invoices)
    text = json.dumps(result)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
