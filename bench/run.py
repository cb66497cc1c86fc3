"""``make bench``: every benchmark, one table, JSON results.

    .venv/bin/python -m bench.run [--quick] [--only calls,overhead,latency,...]

Each benchmark measures its figure beside its baseline in this same run (a ratio holds on a
noisy machine). The burst under 60 calls/minute (``bench.drain``) takes minutes by nature (the
limit, not the CPU, sets its pace: one Exact call a second), so it runs in a child process
beside the others, started once the worker-overhead rates are measured (its start-up would
take CPU from them). Worker memory over 100,000 events (``bench.memory``) runs last, in
a child process of its own (so nothing else is in its heap), alone on the CPU: beside the
others it took a core from the rate and tail-latency benchmarks.

Writes ``bench/results/<UTC time>.json`` and, when every benchmark ran, ``latest.json`` (the
one committed; ``python -m bench.report`` turns it into the README's Markdown table).

Modes: the default runs the issue's counts (1,000 invoices of latency, a burst of 300 under
the limit, 10, 100, 1,000 and 10,000 invoices of scaling, 100,000 events of memory) in about
7.5 minutes on this 2-core machine; ``--quick`` about 3 (smaller counts, for a smoke run).
``--full`` is accepted as a name for the default. A run of every benchmark checks that the table
carries each figure of issue 8 (``bench.figures``) and exits 1 when one is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from bench import calls, figures, latency, overhead, php, scaling
from bench.common import ROOT, Section, load_average, machine
from bench.report import print_table

RESULTS = ROOT / "bench" / "results"
ORDER = ("calls", "overhead", "latency", "drain", "php", "scaling", "memory", "poll")
#: run before the drain starts: its start-up (a sandbox, 20 debtors, 300 events published)
#: would take CPU from these rates
QUIET = ("calls", "overhead")


def counts(mode: str) -> dict[str, int]:
    return {
        "quick": {"drain": 70, "latency": 100, "memory": 5000, "scaling": 100},
        "default": {"drain": 300, "latency": 1000, "memory": 100_000, "scaling": 10_000},
    }[mode]


def start_drain(invoices: int) -> tuple[subprocess.Popen[str], Path]:
    out = Path(tempfile.mkstemp(prefix="hfexact-drain-", suffix=".json")[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.drain", "--invoices", str(invoices), "--out", str(out)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    return process, out


def drain_section(process: subprocess.Popen[str], out: Path, invoices: int) -> Section:
    section = Section("3 burst under 60 calls/minute")
    started = time.monotonic()
    try:
        _, err = process.communicate(timeout=max(600, invoices * 3))
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    section.seconds = time.monotonic() - started
    try:
        doc = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        section.error = f"bench.drain failed: {(err or '')[-500:]}"
        return section
    finally:
        out.unlink(missing_ok=True)
    section.detail["drain"] = doc
    section.add(f"burst of {doc['invoices']} invoices: drain rate", doc["drain_per_minute"],
                "invoices/min", target=">= 55/min", ok=doc["drain_per_minute"] >= 55,
                note=f"per minute window {doc['per_window']}; mean of the "
                     f"{doc['full_windows']} window(s) with a backlog throughout")
    section.add("  429 answers from Exact", doc["rate_limited_429"], "calls", target="0",
                ok=doc["rate_limited_429"] == 0,
                note=f"{doc['exact_calls']} calls for {doc['booked']} invoices; "
                     f"drained in {doc['wall_seconds']:.0f} s")
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks (see bench/run.py).")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller counts (smoke run)")
    size.add_argument("--full", action="store_true", help="the same as the default")
    parser.add_argument("--only", default=",".join(ORDER),
                        help=f"comma-separated subset of {', '.join(ORDER)}")
    parser.add_argument("--results-dir", type=Path, default=RESULTS,
                        help="where the JSON results go (default: bench/results)")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "default"
    chosen = [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(ORDER)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    n = counts(mode)
    quick = mode == "quick"

    from hfexact.logs import configure

    # the worker's own logging as in production (info, rendered), written nowhere
    configure("json", "info", stream=open(os.devnull, "w"))  # noqa: SIM115
    console = Console(width=200)
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    load_start = load_average()
    console.print(f"[bold]bench[/bold] {mode}: {', '.join(chosen)}; load average "
                  f"{load_start[0]} {load_start[1]} {load_start[2]} on {os.cpu_count()} cores")
    drain = None
    runners: dict[str, Callable[[], Section]] = {
        "calls": lambda: calls.run(quick=quick),
        "overhead": lambda: overhead.run(quick=quick),
        "latency": lambda: latency.run(quick=quick, invoices=n["latency"]),
        "php": lambda: php.run(quick=quick),
        "scaling": lambda: scaling.run(largest=n["scaling"]),
        "memory": lambda: scaling.memory(n["memory"]),
    }
    sections: list[Section] = []
    poll = None
    for name in (x for x in ORDER if x in chosen and x not in ("drain", "poll")):
        if drain is None and "drain" in chosen and name not in QUIET:
            drain = start_drain(n["drain"])
        if name == "memory" and "poll" in chosen:
            # the poll script's figures are call counts, not rates: it may share the CPU
            poll = calls.start_poll(quick)
        before = load_average()
        console.print(f"  {name} ...", end="")
        t0 = time.monotonic()
        try:
            section = runners[name]()
        except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the rest
            section = Section(name, error=f"{type(exc).__name__}: {exc}")
            section.detail["traceback"] = traceback.format_exc()[-3000:]
        section.seconds = time.monotonic() - t0
        section.detail["load_before"] = before
        section.detail["load_after"] = load_average()
        console.print(f" {section.seconds:.0f} s" + (f" [red]{section.error}" if section.error
                                                      else ""))
        same = next((s for s in sections if s.name == section.name), None)
        if same is not None:  # memory joins scaling's group
            same.rows += section.rows
            same.detail.update(section.detail)
            same.seconds += section.seconds
            same.error = same.error or section.error
            continue
        sections.append(section)
    if "poll" in chosen:
        console.print("  payment poll ...", end="")
        t0 = time.monotonic()
        polled = calls.poll_section(poll if poll is not None else calls.start_poll(quick))
        console.print(f" {time.monotonic() - t0:.0f} s more")
        first = next((s for s in sections if s.name == polled.name), None)
        if first is not None:
            first.rows += polled.rows
            first.detail.update(polled.detail)
        else:
            sections.insert(0, polled)
    if drain is None and "drain" in chosen:
        drain = start_drain(n["drain"])
    if drain is not None:
        console.print("  drain (running beside the others) ...", end="")
        section = drain_section(*drain, n["drain"])
        console.print(" done" + (f" [red]{section.error}" if section.error else ""))
        after = next((i + 1 for i, s in enumerate(sections) if s.name.startswith("3 ")),
                     len(sections))
        sections.insert(after, section)
    results = {
        "meta": {
            "started": started.isoformat(timespec="seconds"), "mode": mode, "only": chosen,
            "duration_seconds": time.monotonic() - clock, "load_start": load_start,
            "load_end": load_average(), "machine": machine(), "counts": n,
        },
        "sections": [{"name": s.name, "seconds": s.seconds, "error": s.error,
                      "rows": [r.as_dict() for r in s.rows], "detail": s.detail}
                     for s in sections],
    }
    whole = set(chosen) == set(ORDER)
    lacking = figures.missing(results) if whole else []
    results["meta"]["missing_figures"] = lacking
    print_table(results, console)
    if whole:
        console.print("[red]missing figures: " + "; ".join(lacking) if lacking
                      else f"every figure of the issue is in the table "
                           f"({len(figures.FIGURES) + len(figures.DEFAULT_ONLY) * (not quick)})")
    out_dir: Path = args.results_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=1, default=str)
    (out_dir / f"{stamp}.json").write_text(text, encoding="utf-8")
    if whole:
        (out_dir / "latest.json").write_text(text, encoding="utf-8")
    console.print(f"results: {out_dir / stamp}.json" + (" and latest.json" if whole else ""))
    if lacking:
        return 1
    return 1 if any(s.error for s in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
