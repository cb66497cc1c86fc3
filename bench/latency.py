"""Benchmark 3a: latency from the HostFact hook to the Exact entry, limits off.

hook -> outbox -> relay -> broker -> worker -> sandbox, every piece real: the PHP half
(``bench/e2e_driver.php``) is a HostFact stand-in on MariaDB with the bridge's hooks; each
invoice is sent as HostFact sends it and, after the response, one relay pass publishes it with
confirms (what ``HookRuntime::publishAfterResponse`` does under PHP-FPM). The worker loop runs
in this process (the real ``Worker`` with the real processor, SQLite store) and the sandbox in a
child process. Invoices start at a fixed rate (open loop). Latency per invoice = the entry's
``Created`` in the sandbox (ms) minus the moment the PHP request began; all on one clock.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import tempfile
import threading
import time
from typing import Any

from bench.common import ROOT, Section, percentile
from bench.env import (
    INSTALLATION,
    BenchSandbox,
    Broker,
    bench_settings,
    connect,
    ready_processor,
    run_as_shipped,
    sandbox_entries,
    scratch_dir,
    sqlite_url,
)
from bench.overhead import TimedProcessor
from hfexact.exact.odata import parse_date
from hfexact.worker_loop import Worker

DRIVER = ROOT / "bench" / "e2e_driver.php"


class PhpDriver:
    """``php bench/e2e_driver.php`` with its line protocol."""

    def __init__(self, invoices: int, per_second: float, env: dict[str, str]) -> None:
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            ["php", str(DRIVER), "--invoices", str(invoices), "--rate", str(per_second)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            env={**os.environ, **env}, cwd=ROOT)

    def read(self, timeout: float) -> dict[str, Any]:
        """The driver's next JSON line, waiting at most ``timeout`` seconds."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.stderr.seek(0)
            why = "ended early" if ready else f"said nothing for {timeout:.0f} s"
            raise RuntimeError(f"PHP driver {why}: {self.stderr.read()[-800:]}")
        doc: dict[str, Any] = json.loads(line)
        return doc

    def say(self, word: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.say("bye")
                self.process.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=10)
        self.stderr.close()


def wait_until(predicate: Any, timeout: float, step: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(step)


def run(quick: bool = False, invoices: int | None = None, per_second: float = 20.0) -> Section:
    section = Section("3 latency hook -> Exact")
    n = invoices or (100 if quick else 600)
    broker = Broker.fresh()
    with BenchSandbox() as sandbox, scratch_dir() as tmp:
        settings = bench_settings(sandbox.base_url, sqlite_url(tmp), amqp_url=broker.url,
                                  amqp_prefix=broker.prefix)
        broker.declare(settings)
        store, client = connect(settings, max_inline_wait=0.0)
        processor = ready_processor(settings, store, client)
        timed = TimedProcessor(processor)
        worker = Worker(settings, timed, idle_seconds=0.2)
        thread = threading.Thread(target=run_as_shipped, args=(worker, settings),
                                  name="bench-worker", daemon=True)
        thread.start()
        driver = PhpDriver(n, per_second, {
            "HFEXACT_AMQP_URL": broker.url, "HFEXACT_AMQP_PREFIX": broker.prefix,
            "HFEXACT_INSTALLATION": INSTALLATION})
        try:
            ready = driver.read(timeout=120 + n * 0.2)
            wait_until(lambda: timed.count >= ready["published"], 60)
            driver.say("go")
            sent = driver.read(timeout=60 + n / per_second * 3)["invoices"]
            wait_until(lambda: timed.count >= ready["published"] + n, 120)
            entries = {e["YourRef"]: e for e in sandbox_entries(sandbox.control)}
        finally:
            driver.close()
            worker.request_stop()
            thread.join(timeout=30)
            processor.close()
            broker.delete(settings)
    _report(section, sent, entries, n, per_second)
    return section


def _report(section: Section, sent: list[dict[str, Any]], entries: dict[str, Any], n: int,
            per_second: float) -> None:
    total, to_relay, from_relay, request = [], [], [], []
    for row in sent:
        entry = entries.get(row["code"])
        if entry is None:
            continue
        created = parse_date(entry["Created"])
        assert created is not None
        at = created.timestamp()
        total.append((at - row["hook_at"]) * 1000)
        to_relay.append((row["published_at"] - row["hook_at"]) * 1000)
        from_relay.append((at - row["published_at"]) * 1000)
        request.append(row["request_ms"])
    missing = n - len(total)
    p50, p99 = percentile(total, 50), percentile(total, 99)
    note = f"{len(total)} invoices at {per_second:g}/s (open loop)"
    if missing:
        note += f"; {missing} without an entry"
    section.add("hook -> Exact entry p50", p50, "ms", target="< 100 ms", ok=p50 < 100,
                note=note)
    section.add("hook -> Exact entry p99", p99, "ms", target="< 500 ms", ok=p99 < 500,
                note=f"max {max(total):,.0f} ms" if total else "")
    section.add("  request + after-response relay pass p50", percentile(to_relay, 50), "ms",
                note="PHP: sendbyemail (hook inside) + relay pass (connect, publish, confirm)")
    section.add("  relay pass ended -> Exact entry p50", percentile(from_relay, 50), "ms",
                note=f"p99 {percentile(from_relay, 99):,.0f} ms; below 0 when the worker booked "
                     "the entry before the pass had closed its connections")
    section.detail["latency"] = {
        "invoices": n, "measured": len(total), "rate_per_s": per_second,
        "total_ms": {"p50": p50, "p90": percentile(total, 90), "p99": p99,
                     "max": max(total) if total else None},
        "hook_to_published_ms": {"p50": percentile(to_relay, 50),
                                 "p99": percentile(to_relay, 99)},
        "published_to_entry_ms": {"p50": percentile(from_relay, 50),
                                  "p99": percentile(from_relay, 99)},
        "php_request_ms": {"p50": percentile(request, 50), "p99": percentile(request, 99)},
    }


if __name__ == "__main__":
    import sys

    from hfexact.logs import configure

    configure("json", "info", stream=open(os.devnull, "w"))  # noqa: SIM115
    result = run(quick="--quick" in sys.argv)
    for r in result.rows:
        print(r)
