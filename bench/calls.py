"""Benchmark 1: Exact calls per operation, counted by the sandbox (its per-endpoint counters).

The processor runs in this process against the sandbox in a child process, limits off, on a
fresh SQLite store. Each operation is repeated and the calls are divided by the repetitions;
the client's own count (``ExactClient.calls``) is kept beside the sandbox's as a cross-check.
The payment poll (3,000 open items, 50 changed) is measured by the payments helper's
``bench/payments_poll_cost.py`` in a child process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tests.integration.test_processing_samples import (
    OTHER,
    batch_event,
    hostfact_totals,
    purchase_event,
)

from bench.common import ROOT, Section, stopwatch
from bench.env import (
    DIV,
    LINES,
    BenchSandbox,
    bench_settings,
    connect,
    envelope,
    invoice_event,
    process,
    ready_processor,
    scratch_dir,
    settings_data,
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
            envelope("debtor.upserted", debtor(500 + i)) for i in range(reps)], 1.0, "calls/op")
        # accounts HostFact's own export made before cut-over: the POST is refused (the code
        # exists), then the account is found by code and updated (PUT): 3 calls, once each
        for i in range(reps):
            client.post(DIV, "crm/Accounts", {
                "Code": str(1600 + i), "Name": "Oude naam", "SearchCode": f"DB{600 + i:04d}",
                "Status": "C"})
        row("debtor.upserted, account exists from before cut-over", [
            envelope("debtor.upserted", debtor(600 + i)) for i in range(reps)], None, "calls/op")
        row("invoice + new debtor", [
            invoice_event(1000 + i, 100 + i, LINES) for i in range(reps)], 2.0, "calls/invoice")
        # Exact assigns the account codes (empty masks): no lookup by code before the POST
        body = envelope("settings.changed", settings_data(debtor_code_mask="",
                                                          creditor_code_mask=""),
                        installation=OTHER)
        assert processor.process(body, _meta(body)).results[0].body["data"]["valid"] is True
        row("invoice + new debtor, Exact assigns codes", [
            invoice_event(1500 + i, 700 + i, LINES, installation=OTHER) for i in range(reps)],
            2.0, "calls/invoice")
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
    return section


def _meta(body: bytes) -> Any:
    from bench.env import meta
    return meta(body)


def start_poll(quick: bool = False) -> subprocess.Popen[str] | None:
    """Start ``bench/payments_poll_cost.py`` (seeding 3,000 invoices takes a minute or so)."""
    if not POLL_SCRIPT.exists():
        return None
    invoices = "300" if quick else "3000"
    return subprocess.Popen([sys.executable, str(POLL_SCRIPT), "--invoices", invoices,
                             "--changed", "50"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**_env(), "COLUMNS": "200"})


def poll_section(process: subprocess.Popen[str] | None) -> Section:
    """The payment poll's calls, read from the script's table (it prints no JSON)."""
    section = Section("1 calls per operation")
    name = "payment poll, 50 of the open items changed"
    if process is None:
        section.add(name, None, "calls", target="1-3",
                    note="bench/payments_poll_cost.py not available")
        return section
    try:
        out, err = process.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    rows = poll_rows(out)
    section.detail["payment_poll"] = rows
    changed = next((r for r in rows if " of " in r["poll"]), None)
    if process.returncode != 0 or changed is None:
        section.add(name, None, "calls", target="1-3", ok=False,
                    note=f"script failed: {(err or out)[-300:]}")
        return section
    calls = float(changed["sandbox"])
    first = next((r for r in rows if "first" in r["poll"]), None)
    quiet = next((r for r in rows if "nothing" in r["poll"]), None)
    section.add(f"payment poll, {changed['poll']}", calls, "calls", target="1-3",
                ok=1 <= calls <= 3,
                note=f"{changed['results']}; nothing changed: "
                     f"{quiet['sandbox'] if quiet else '-'} call(s); first poll (initial "
                     f"sync): {first['sandbox'] if first else '-'} (bench/payments_poll_cost.py)")
    return section


def poll_rows(text: str) -> list[dict[str, str]]:
    keys = ("poll", "client", "sandbox", "terms", "results", "seconds")
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == len(keys) and cells[1].isdigit():
            rows.append(dict(zip(keys, cells, strict=True)))
    return rows


def _env() -> dict[str, str]:
    import os
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    for r in result.rows:
        print(r)
