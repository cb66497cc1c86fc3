"""The results as a rich table (terminal) or a Markdown table (README, docs).

    .venv/bin/python -m bench.report [FILE]            # prints the Markdown table
    .venv/bin/python -m bench.report --write [FILE]    # into README.md, docs/performance.md

FILE defaults to bench/results/latest.json. ``--write`` replaces the README's closing
"Performance" section (appended when missing) and the table between the ``bench-table`` markers
of docs/performance.md; nothing else in either file changes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.common import ROOT, fmt

LATEST = ROOT / "bench" / "results" / "latest.json"


def _ok(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "NO")


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def rich_table(results: Mapping[str, Any]) -> Table:
    meta = results["meta"]
    table = Table(title=f"hostfact-exact-bridge benchmarks ({meta['mode']}, "
                        f"{meta['duration_seconds']:.0f} s, load {meta['load_start'][0]} -> "
                        f"{meta['load_end'][0]})", title_justify="left", show_lines=False)
    for name, justify in (("benchmark", "left"), ("measure", "left"), ("value", "right"),
                          ("target", "left"), ("met", "center"), ("baseline (same run)", "left"),
                          ("ratio", "right"), ("note", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for section in results["sections"]:
        group = section["name"]
        if section.get("error"):
            table.add_row(group, "[red]failed", "", "", "", "", "", section["error"][:200])
        for row in section["rows"]:
            met = _ok(row["ok"])
            table.add_row(group, row["name"], fmt(row["value"], row["unit"]), row["target"],
                          f"[red]{met}" if met == "NO" else met, row["baseline"],
                          _ratio(row["ratio"]), row["note"])
            group = ""
    return table


def markdown(results: Mapping[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"Measured {meta['started'][:16].replace('T', ' ')} UTC on {meta['machine']['cpus']} "
        f"cores ({meta['machine']['cpu_model'] or 'unknown CPU'}), commit "
        f"{meta['machine']['commit']}, mode `{meta['mode']}`, {meta['duration_seconds']:.0f} s; "
        f"load average {meta['load_start'][0]} at the start, {meta['load_end'][0]} at the end.",
        "",
        "| benchmark | measure | value | target | met | baseline (same run) | ratio | note |",
        "|---|---|---:|---|:-:|---|---:|---|",
    ]
    for section in results["sections"]:
        group = section["name"]
        if section.get("error"):
            lines.append(f"| {group} | failed | | | | | | {section['error'][:200]} |")
        for row in section["rows"]:
            cells = [group, row["name"].strip(), fmt(row["value"], row["unit"]), row["target"],
                     _ok(row["ok"]), row["baseline"], _ratio(row["ratio"]), row["note"]]
            lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
            group = ""
    return "\n".join(lines)


def print_table(results: Mapping[str, Any], console: Console | None = None) -> None:
    (console or Console(width=200)).print(rich_table(results))


README = ROOT / "README.md"
DOCS = ROOT / "docs" / "performance.md"
START, END = "<!-- bench-table -->", "<!-- /bench-table -->"


def readme_section(results: Mapping[str, Any]) -> str:
    return "\n".join([
        "## Performance", "",
        "Exact Online allows 60 calls a minute and 5,000 a day per division; the bridge spends "
        "one call per invoice of a known debtor, so a division can take up to 60 invoices a "
        "minute and about 4,500 a day next to the payment poller. `make bench` measures it "
        f"with the issue's counts ({results['meta']['duration_seconds'] / 60:.0f} minutes on "
        "this 2-core machine; `--quick` for a smoke run); method, findings, the "
        "arithmetic of the limit and the backfill planner (`hfexact backfill plan` / `run`) are in "
        "[docs/performance.md](docs/performance.md).", "",
        markdown(results), "",
    ])


def write(results: Mapping[str, Any]) -> None:
    """The table into README.md (its last section) and docs/performance.md (between markers)."""
    readme = README.read_text(encoding="utf-8")
    head = readme.partition("\n## Performance\n")[0]
    README.write_text(head.rstrip("\n") + "\n\n" + readme_section(results), encoding="utf-8")
    docs = DOCS.read_text(encoding="utf-8")
    before, _, rest = docs.partition(START)
    _, _, after = rest.partition(END)
    DOCS.write_text(f"{before}{START}\n{markdown(results)}\n{END}{after}", encoding="utf-8")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--write"]
    path = Path(args[0]) if args else LATEST
    loaded = json.loads(path.read_text(encoding="utf-8"))
    if "--write" in sys.argv[1:]:
        write(loaded)
    else:
        print(markdown(loaded))
