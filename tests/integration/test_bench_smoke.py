"""The benchmark runner itself, in a smoke run: ``bench.run --quick --only calls`` against the
real sandbox (a few seconds; no figure is timed) still runs, writes its JSON where it is told,
and names its rows as ``bench.figures`` expects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench import figures

ROOT = Path(__file__).resolve().parents[2]


def test_quick_calls_run_writes_its_figures(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--only", "calls",
         "--results-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    written = list(tmp_path.glob("*.json"))
    assert len(written) == 1  # a partial run is never "latest"
    assert written[0].name != "latest.json"
    results = json.loads(written[0].read_text(encoding="utf-8"))
    calls = {row["name"]: row for s in results["sections"] for row in s["rows"]}
    assert calls["invoice, known debtor"]["value"] == 1
    assert calls["invoice + new debtor"]["value"] == 2
    assert calls["direct-debit batch of 50 invoices"]["value"] == 1
    # the calls figures the check looks for are all there, under their names
    lacking = figures.missing(results)
    assert [f for f in lacking if f.startswith("1 ")] == [
        "1 calls: payment poll of 3,000 open items, 50 changed"]  # "poll" was not chosen
