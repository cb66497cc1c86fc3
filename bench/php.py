"""Benchmark 4: the PHP side, measured by ``bench/php_hook_cost.php`` (the PHP helper's script).

The hook's added cost in HostFact's request (one outbox INSERT, MariaDB and SQLite; median and
p99): inside HostFact's transaction; as autocommit, split into the hook's own work (PHP + the
INSERT round trip) and the flush its commit waits for (the disk's part, beside the disk's raw
fdatasync measured at the same moments); the first hook of a request the same way. All cases run
interleaved, with a SELECT 1 round trip as the floor, and each p99 is also given per quarter of
the run. Then the relay's throughput with publisher confirms (outbox row -> internalAPI show ->
envelope -> publish + confirm -> mark sent), beside the bare publisher.
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
    hooks, events, requests = (500, 300, 500) if quick else (2000, 1000, 2000)
    done = subprocess.run(["php", str(SCRIPT), "--hooks", str(hooks), "--events", str(events),
                           "--requests", str(requests)],
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


def _p99(stat: dict[str, Any] | None) -> float | None:
    return float(stat["p99_ms"]) if stat is not None else None


def _hook_row(section: Section, name: str, stat: dict[str, Any] | None, note: str = "",
              baseline: dict[str, Any] | None = None, baseline_label: str = "") -> None:
    """A hook cost row against the 2 ms target; a floor measured interleaved as its baseline."""
    if stat is None:
        return
    p99 = float(stat["p99_ms"])
    extra: dict[str, Any] = {}
    if baseline is not None:
        extra = {"baseline": f"{baseline_label} p99 {baseline['p99_ms']} ms",
                 "ratio": p99 / float(baseline["p99_ms"]) if baseline["p99_ms"] else None}
    text = f"median {stat['median_ms']} ms, n={stat['n']}{_rounds(stat)}"
    section.add(name, p99, "ms", target="< 2 ms", ok=p99 < 2.0,
                note=text + (f"; {note}" if note else ""), **extra)


def _rounds(stat: dict[str, Any]) -> str:
    rounds = stat.get("p99_ms_per_round")
    if not isinstance(rounds, list) or not rounds:
        return ""
    return "; p99 per quarter " + " / ".join(f"{float(v):.2f}" for v in rounds)


def _flush_row(section: Section, name: str, stat: dict[str, Any] | None,
               fsync: dict[str, Any] | None) -> None:
    """The flush a commit of the hook's row alone waits for (the disk's part), beside fdatasync."""
    if stat is None:
        return
    p99 = float(stat["p99_ms"])
    extra: dict[str, Any] = {}
    if fsync is not None:
        extra = {"baseline": f"disk fdatasync p99 {fsync['p99_ms']} ms",
                 "ratio": p99 / float(fsync["p99_ms"]) if fsync["p99_ms"] else None}
    section.add(name, p99, "ms", note=f"median {stat['median_ms']} ms{_rounds(stat)}; the disk's",
                **extra)


def _rows(section: Section, doc: dict[str, Any], events: int) -> None:
    mysql = doc["mysql"]
    if _stat(doc, "mysql", "autocommit_own_work") is None:  # the script before the split
        _rows_v2(section, doc, events)
        return
    select_1 = _stat(doc, "mysql", "floor_select_1")
    fsync = _stat(doc, "mysql", "raw_fdatasync")
    update = _stat(doc, "mysql", "hostfact_own_update_in_transaction")
    _hook_row(section, "hook cost, MariaDB, inside HostFact's transaction, p99",
              _stat(doc, "mysql", "hostfact_in_transaction"),
              note=f"no flush of its own; HostFact's own UPDATE p99 {_p99(update)} ms",
              baseline=select_1, baseline_label="SELECT 1 round trip")
    with_row = _stat(doc, "mysql", "hostfact_commit_with_hook_row")
    without = _stat(doc, "mysql", "hostfact_commit_without_hook_row")
    if with_row and without:
        section.add("  HostFact's COMMIT with the hook's row, p99", float(with_row["p99_ms"]),
                    "ms", baseline=f"without the row {without['p99_ms']} ms",
                    ratio=(float(with_row["p99_ms"]) / float(without["p99_ms"])
                           if without["p99_ms"] else None),
                    note=f"medians {with_row['median_ms']} vs {without['median_ms']} ms")
    total = _stat(doc, "mysql", "hostfact_autocommit")
    _hook_row(section, "hook cost, MariaDB, autocommit: the hook's own work, p99",
              _stat(doc, "mysql", "autocommit_own_work"),
              note="PHP + the INSERT round trip, without the commit's log flush",
              baseline=select_1, baseline_label="SELECT 1 round trip")
    _flush_row(section, "  + its commit's redo-log flush, p99",
               _stat(doc, "mysql", "autocommit_flush"), fsync)
    _hook_row(section, "  = as one statement (own work + flush), p99", total,
              note=f"{total.get('log_fsyncs_per_hook', '-')} log fsyncs per hook" if total else "")
    _hook_row(section, "hook cost, MariaDB, first hook of a request: own work, p99",
              _stat(doc, "mysql", "first_call_own_work"),
              note="config.local.php, HostFact's connection, prepare, INSERT")
    first = _stat(doc, "mysql", "first_call")
    _hook_row(section, "  = first hook as one statement (own work + flush), p99", first,
              note=f"its flush alone p99 {_p99(_stat(doc, 'mysql', 'first_call_flush'))} ms")
    lite_fsync = _stat(doc, "sqlite", "raw_fdatasync")
    _hook_row(section, "hook cost, SQLite, inside HostFact's transaction, p99",
              _stat(doc, "sqlite", "hostfact_in_transaction"))
    _hook_row(section, "hook cost, SQLite, autocommit: the hook's own work, p99",
              _stat(doc, "sqlite", "autocommit_own_work"),
              note="PHP + the INSERT, without the commit's WAL fsync")
    _flush_row(section, "  + its commit's WAL fsync (synchronous=FULL), p99",
               _stat(doc, "sqlite", "autocommit_flush"), lite_fsync)
    _hook_row(section, "  = as one statement (own work + fsync), p99",
              _stat(doc, "sqlite", "hostfact_autocommit"))
    php_part = _stat(doc, "mysql", "php_part")
    if php_part is not None:
        median_us = float(php_part["median_ms"]) * 1000
        section.add("the hook's PHP work alone (no database), p99",
                    float(php_part["p99_ms"]) * 1000, "us",
                    note=f"median {median_us:.0f} us; PHP cycle collections in the warm loop: "
                         f"{mysql.get('gc_runs_during_warm_loop', '-')}")
    _relay_row(section, mysql, events)


def _relay_row(section: Section, mysql: dict[str, Any], events: int) -> None:
    if "relay_events_per_second" in mysql:
        relay = float(mysql["relay_events_per_second"])
        bare = mysql.get("publisher_confirmed_per_second")
        section.add("relay throughput (show + envelope + publish + confirm + mark sent)",
                    relay, "events/s", baseline=f"bare publisher {bare}/s",
                    ratio=relay / float(bare) if bare else None,
                    note=f"{events} outbox rows, MariaDB, RabbitMQ with confirms")


def _rows_v2(section: Section, doc: dict[str, Any], events: int) -> None:
    """The script's second format (no split of the autocommit cases)."""
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
    lite = _stat(doc, "sqlite", "hostfact_autocommit")
    if lite is not None:
        section.add("hook cost, SQLite, autocommit, p99", float(lite["p99_ms"]), "ms",
                    target="< 2 ms", ok=float(lite["p99_ms"]) < 2.0,
                    note=f"median {lite['median_ms']} ms, n={lite['n']}")
    _relay_row(section, mysql, events)


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
