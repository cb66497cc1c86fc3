"""Benchmark 4: the PHP side, measured by ``bench/php_hook_cost.php`` (the PHP helper's script).

The hook's added cost in HostFact's request (one outbox INSERT, MariaDB and SQLite; median,
p99, and the first call of a request) and the relay's throughput with publisher confirms (outbox
row -> internalAPI show -> envelope -> publish + confirm -> mark sent), plus the bare publisher.
The script prints its figures and a JSON object last; this module reads that object.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from bench.common import ROOT, Section

SCRIPT = ROOT / "bench" / "php_hook_cost.php"


def last_json_object(text: str) -> Any:
    """The last top-level JSON object in ``text`` (the script pretty-prints it)."""
    start = text.rfind("\n{")
    start = 0 if start < 0 and text.lstrip().startswith("{") else start + 1
    return json.loads(text[start:])


def run(quick: bool = False) -> Section:
    section = Section("4 PHP hook and relay")
    hooks, events = (500, 300) if quick else (2000, 1000)
    done = subprocess.run(["php", str(SCRIPT), "--hooks", str(hooks), "--events", str(events)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        section.error = f"php_hook_cost.php failed: {(done.stderr or done.stdout)[-500:]}"
        return section
    doc = last_json_object(done.stdout)
    section.detail["php_hook_cost"] = doc
    if isinstance(doc.get("mysql"), dict):
        _rows(section, doc, events)
    else:  # the script's first format: hook_mysql / hook_sqlite
        _rows_v1(section, doc, events)
    return section


def _stat(doc: dict[str, Any], driver: str, case: str) -> dict[str, Any] | None:
    value = doc.get(driver, {}).get(case)
    return value if isinstance(value, dict) and "p99_ms" in value else None


def _rows(section: Section, doc: dict[str, Any], events: int) -> None:
    mysql = doc["mysql"]
    fsync = _stat(doc, "mysql", "raw_fdatasync")
    for case, label in (("hostfact_in_transaction", "inside HostFact's transaction"),
                        ("hostfact_autocommit", "autocommit (its own commit)"),
                        ("first_call", "first hook of a request")):
        stat = _stat(doc, "mysql", case)
        if stat is None:
            continue
        p99 = float(stat["p99_ms"])
        extra = {}
        if case == "hostfact_autocommit" and fsync is not None:
            extra = {"baseline": f"disk fdatasync p99 {fsync['p99_ms']} ms",
                     "ratio": p99 / float(fsync["p99_ms"]) if fsync["p99_ms"] else None}
        section.add(f"hook cost, MariaDB, {label}, p99", p99, "ms", target="< 2 ms",
                    ok=p99 < 2.0, note=f"median {stat['median_ms']} ms, n={stat['n']}", **extra)
    with_row = _stat(doc, "mysql", "hostfact_commit_with_hook_row")
    without = _stat(doc, "mysql", "hostfact_commit_without_hook_row")
    if with_row and without:
        section.add("  HostFact's COMMIT with the hook's row, p99", float(with_row["p99_ms"]),
                    "ms", baseline=f"without the row {without['p99_ms']} ms",
                    ratio=(float(with_row["p99_ms"]) / float(without["p99_ms"])
                           if without["p99_ms"] else None),
                    note=f"medians {with_row['median_ms']} vs {without['median_ms']} ms")
    lite = _stat(doc, "sqlite", "hostfact_autocommit")
    if lite is not None:
        section.add("hook cost, SQLite, autocommit, p99", float(lite["p99_ms"]), "ms",
                    target="< 2 ms", ok=float(lite["p99_ms"]) < 2.0,
                    note=f"median {lite['median_ms']} ms, n={lite['n']}")
    if "relay_events_per_second" in mysql:
        relay = float(mysql["relay_events_per_second"])
        bare = mysql.get("publisher_confirmed_per_second")
        section.add("relay throughput (show + envelope + publish + confirm + mark sent)",
                    relay, "events/s", baseline=f"bare publisher {bare}/s",
                    ratio=relay / float(bare) if bare else None,
                    note=f"{events} outbox rows, MariaDB, RabbitMQ with confirms")


def _rows_v1(section: Section, doc: dict[str, Any], events: int) -> None:
    for key, label in (("hook_mysql", "MariaDB"), ("hook_sqlite", "SQLite")):
        hook = doc.get(key)
        if not isinstance(hook, dict):
            continue
        p99 = float(hook["p99_ms"])
        section.add(f"hook cost in the request, {label}, p99", p99, "ms", target="< 2 ms",
                    ok=p99 < 2.0,
                    note=f"median {hook['median_ms']} ms; first call of a request "
                         f"{hook.get('first_call_with_connect_ms', '-')} ms; n={hook['n']}")
    if "relay_events_per_second" in doc:
        section.add("relay throughput (show + envelope + publish + confirm + mark sent)",
                    float(doc["relay_events_per_second"]), "events/s",
                    baseline=f"bare publisher {doc.get('publisher_confirmed_per_second', '-')}/s",
                    ratio=(float(doc["relay_events_per_second"])
                           / float(doc["publisher_confirmed_per_second"])
                           if doc.get("publisher_confirmed_per_second") else None),
                    note=f"{events} outbox rows, batches of 200")
