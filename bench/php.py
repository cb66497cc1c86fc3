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
    section.detail["output"] = done.stdout.splitlines()[:8]
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
    return section
