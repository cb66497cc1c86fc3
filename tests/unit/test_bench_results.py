"""Issue 8's "done when", as far as a test can show it without timing anything: the committed
results of the last full ``make bench`` hold every figure the issue names, at the issue's counts,
from a run of under 10 minutes, and the README and docs/performance.md show that very table
(``tests/integration/test_bench_smoke.py`` runs the runner itself)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from bench import figures, report
from bench.run import ORDER, counts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(name="latest", scope="module")
def latest_fixture() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(report.LATEST.read_text(encoding="utf-8"))
    return loaded


def test_latest_results_are_a_whole_default_run_of_under_ten_minutes(
        latest: dict[str, Any]) -> None:
    meta = latest["meta"]
    assert meta["mode"] == "default"
    assert sorted(meta["only"]) == sorted(ORDER)
    assert meta["counts"] == counts("default") == {
        "drain": 300, "latency": 1000, "memory": 100_000, "scaling": 10_000}
    assert meta["duration_seconds"] < 600
    assert [s["name"] for s in latest["sections"] if s["error"]] == []


def test_latest_results_carry_every_figure_the_issue_names(latest: dict[str, Any]) -> None:
    assert figures.missing(latest) == []
    assert len(figures.FIGURES) + len(figures.DEFAULT_ONLY) == 25


def test_a_dropped_or_empty_figure_is_named(latest: dict[str, Any]) -> None:
    dropped = copy.deepcopy(latest)
    for section in dropped["sections"]:
        section["rows"] = [r for r in section["rows"]
                           if not r["name"].strip().startswith("hook -> Exact entry p99")]
        for row in section["rows"]:
            if row["name"].startswith("worker RSS after"):
                row["value"] = None
    assert figures.missing(dropped) == [
        "3 latency hook -> Exact p99", "5 worker memory after N events",
        "5 worker memory after 100,000 events"]


def test_readme_and_performance_doc_show_the_latest_table(latest: dict[str, Any]) -> None:
    table = report.markdown(latest)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.endswith(report.readme_section(latest))
    docs = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert f"{report.START}\n{table}\n{report.END}" in docs
