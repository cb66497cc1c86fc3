"""Benchmark 1: Exact calls per operation, counted by the sandbox (its per-endpoint counters).

The processor runs in this process against the sandbox in a child process, limits off, on a
fresh SQLite store. Each operation is repeated and the calls are divided by the repetitions;
the client's own count (``ExactClient.calls``) is kept beside the sandbox's as a cross-check.
The payment poll (3,000 open items, 50 changed) is measured by the payments helper's
``bench/payments_poll_cost.py`` in a child process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tests.integration.test_processing_samples import (
    batch_event,
    hostfact_totals,
    purchase_event,
)

from bench.common import ROOT, Section, stopwatch
from bench.env import (
    LINES,
    BenchSandbox,
    bench_settings,
    connect,
    envelope,
    invoice_event,
    process,
    ready_processor,
    scratch_dir,
    sqlite_url,
)
from bench.env import debtor_data as debtor

POLL_SCRIPT = ROOT / "bench" / "payments_poll_cost.py"


def run(quick: bool = False) -> Section:
    section = Section("1 calls per operation")
    reps = 5 if quick else 10
    known = 20 if quick else 100
    with BenchSandbox() as sandbox, scratch_dir() as tmp:
        settings = bench_settings(sandbox.base_url, sqlite_url(tmp))
        store, client = connect(settings, max_inline_wait=0.0)
        processor = ready_processor(settings, store, client)

        def measure(bodies: Sequence[bytes]) -> tuple[float, float, int]:
            before, client_before = sandbox.calls(), client.calls
            for body in bodies:
                assert process(processor, body) == "done"
            calls = sandbox.calls() - before
            assert calls == client.calls - client_before, "sandbox and client disagree"
            return calls / len(bodies), (client.calls - client_before) / len(bodies), calls

        def row(name: str, bodies: Sequence[bytes], target: float | None, unit: str,
                cmp: Callable[[float, float], bool] = lambda v, t: v <= t) -> float:
            per_op, _client, total = measure(bodies)
            section.add(name, per_op, unit, target="" if target is None else f"<= {target:g}",
                        ok=None if target is None else cmp(per_op, target),
                        note=f"{total} calls / {len(bodies)}")
            section.detail[name] = {"calls": total, "operations": len(bodies), "per_op": per_op}
            return per_op

        row("debtor.upserted, new debtor", [
            envelope("debtor.upserted", debtor(500 + i)) for i in range(reps)], None, "calls/op")
        row("invoice + new debtor", [
            invoice_event(1000 + i, 100 + i, LINES) for i in range(reps)], 2.0, "calls/invoice")
        row("invoice, known debtor", [
            invoice_event(2000 + i, 100 + i % reps, LINES) for i in range(known)],
            1.0, "calls/invoice")
        credit_lines = [("-100", "1", "21", "P0001")]
        original = hostfact_totals(LINES)["AmountIncl"]
        row("credit invoice", [
            invoice_event(3000 + i, 100 + i % reps, credit_lines, Status="8", related_over={
                "credits": {"Identifier": str(2000 + i), "InvoiceCode": f"F2026-{2000 + i:04d}",
                            "Date": "2026-11-28", "AmountIncl": original}})
            for i in range(reps)], 1.0, "calls/invoice")
        row("purchase invoice + new creditor", [
            purchase_event(4000 + i, 300 + i) for i in range(reps)], 2.0, "calls/invoice")
        row("purchase invoice, known creditor", [
            purchase_event(5000 + i, 300 + i % reps) for i in range(reps)], 1.0, "calls/invoice")

        members = [(6000 + i, 100 + i % reps) for i in range(50)]
        for n, d in members:
            assert process(processor, invoice_event(n, d, LINES, Authorisation="yes")) == "done"
        batch = batch_event("SDD20261205", [(n, d, original) for n, d in members])
        with stopwatch() as took:
            row("direct-debit batch of 50 invoices", [batch], 1.0, "calls/batch")
        section.detail["sdd_batch_seconds"] = round(took[0], 3)
        duplicate_before = sandbox.calls()
        assert processor.process(batch, _meta(batch)).status == "duplicate"
        section.add("redelivered event (duplicate)", sandbox.calls() - duplicate_before,
                    "calls", target="0", ok=sandbox.calls() == duplicate_before)
        processor.close()
    _poll(section, quick)
    return section


def _meta(body: bytes) -> Any:
    from bench.env import meta
    return meta(body)


def _poll(section: Section, quick: bool) -> None:
    """The payment poll's calls, from the payments helper's script (JSON on its last line)."""
    if not POLL_SCRIPT.exists():
        section.add("payment poll, 3,000 open / 50 changed", None, "calls",
                    target="1-3", note="bench/payments_poll_cost.py not available yet")
        return
    args = [sys.executable, str(POLL_SCRIPT), "--json"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False, env=_env())
    doc = _last_json(done.stdout)
    if done.returncode != 0 or doc is None:
        section.add("payment poll, 3,000 open / 50 changed", None, "calls", target="1-3",
                    ok=False, note=f"script failed: {(done.stderr or done.stdout)[-300:]}")
        return
    section.detail["payment_poll"] = doc
    calls = _find_number(doc, ("exact_calls", "calls", "poll_calls"))
    section.add("payment poll, 3,000 open / 50 changed", calls, "calls", target="1-3",
                ok=None if calls is None else 1 <= calls <= 3,
                note="bench/payments_poll_cost.py")


def _env() -> dict[str, str]:
    import os
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _last_json(text: str) -> Any:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    try:
        return json.loads(text)
    except ValueError:
        return None


def _find_number(doc: Any, keys: Sequence[str]) -> float | None:
    if isinstance(doc, dict):
        for key in keys:
            if isinstance(doc.get(key), int | float):
                return float(doc[key])
        for value in doc.values():
            found = _find_number(value, keys)
            if found is not None:
                return found
    return None


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    for r in result.rows:
        print(r)
