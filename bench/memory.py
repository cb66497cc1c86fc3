"""Worker memory after N events: ``python -m bench.memory --events N`` (prints JSON last).

The real processor and a fresh SQLite store; the settings and 200 debtors are exported to the
sandbox first, then Exact is answered in-process (each POST gets a new entry id and number), so
N events cost only what the worker itself does: validate, translate, store (bindings, the
result envelopes with their JSON Schema check). The store file lives on tmpfs (/dev/shm), so
the disk's fsync latency does not set the pace: memory and file size are what this measures (the
disk-bound rate is benchmark 5's). RSS is read from /proc every N/40 events; growth
is the last sample minus the one after the first 10 % (warm-up), and over the second half (once
SQLite's page cache, 2 MB by default, has filled).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from bench.common import rss_bytes
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
from bench.scaling import store_bytes

DEBTORS = 200


class InProcessExact:
    """Answers the processor's steady-state calls without a network (POST -> a new entry)."""

    def __init__(self) -> None:
        self.numbers = itertools.count(26_700_001)
        self.calls = 0

    def post(self, division: int, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        self.calls += 1
        return {"EntryID": str(uuid.uuid4()), "EntryNumber": next(self.numbers), "Status": 20}

    def get(self, division: int, path: str,
            params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        self.calls += 1
        return []

    def iterate(self, division: int, path: str,
                params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        return iter(self.get(division, path, params))

    def put(self, division: int, path: str, payload: Mapping[str, Any]) -> None:
        self.calls += 1

    def delete(self, division: int, path: str) -> None:
        self.calls += 1


def measure(events: int) -> dict[str, Any]:
    with scratch_dir(memory=True) as tmp:  # tmpfs: the disk's fsync does not set the pace
        with BenchSandbox() as sandbox:
            settings = bench_settings(sandbox.base_url, sqlite_url(tmp))
            store, client = connect(settings, max_inline_wait=0.0)
            processor = ready_processor(settings, store, client, debtors=DEBTORS)
            client.close()
        path = tmp / "store.sqlite3"
        before = store_bytes(processor.store, path)
        result = _measure(processor, events)
        result["store_bytes_added"] = store_bytes(processor.store, path) - before
        processor.close()
        return result


def _measure(processor: Any, events: int) -> dict[str, Any]:
    fake = InProcessExact()
    processor.client = fake
    step = max(1, events // 40)
    warm = max(step, events // 10)
    samples: list[float] = []
    warm_rss = 0.0
    started = time.perf_counter()
    chunk = 1000
    for first in range(0, events, chunk):
        for i, body in enumerate(invoices(1_000_000 + first, min(chunk, events - first),
                                          DEBTORS)):
            assert process(processor, body) == "done"
            done = first + i + 1
            if done % step == 0:
                gc.collect()
                mb = rss_bytes() / 1e6
                samples.append(mb)
                if done == (warm // step) * step:
                    warm_rss = mb
    seconds = time.perf_counter() - started
    return {
        "events": events, "warm_events": warm, "rss_warm_mb": warm_rss,
        "rss_end_mb": samples[-1], "growth_mb": samples[-1] - warm_rss,
        "growth_second_half_mb": samples[-1] - samples[len(samples) // 2 - 1],
        "samples_mb": samples, "events_per_s": events / seconds, "exact_calls": fake.calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    from hfexact.logs import configure

    configure("json", "info", stream=open(os.devnull, "w"))  # noqa: SIM115
    print(json.dumps(measure(args.events)))


if __name__ == "__main__":
    main()
