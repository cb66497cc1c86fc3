"""The figures issue 8 asks ``make bench`` to print, and a check that a run printed each.

Each figure is matched by its row's name (a regular expression, anchored at the start, on the
name without its indent) and must carry a value. Counts in the names are the default mode's (the
issue's own counts); ``--quick`` runs smaller counts, so only the count-free figures apply there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: (what the issue names, the row that shows it), benchmark by benchmark
FIGURES: tuple[tuple[str, str], ...] = (
    ("1 calls: new debtor + invoice", r"invoice \+ new debtor$"),
    ("1 calls: invoice of an existing debtor", r"invoice, known debtor$"),
    ("1 calls: credit invoice", r"credit invoice$"),
    ("1 calls: purchase invoice", r"purchase invoice, known creditor$"),
    ("1 calls: direct-debit batch of 50 invoices", r"direct-debit batch of 50 invoices$"),
    ("1 calls: payment poll of 3,000 open items, 50 changed",
     r"payment poll, 50 of 3000 changed$"),
    ("2 validate + translate, one core", r"validate \+ translate \(one core\)$"),
    ("2 whole worker", r"whole worker "),
    ("2 baseline: bare requests POST loop", r"bare requests POST loop"),
    ("2 baseline: bare pika consume-and-ack loop", r"bare pika consume \+ ack"),
    ("3 latency hook -> Exact p50", r"hook -> Exact entry p50$"),
    ("3 latency hook -> Exact p99", r"hook -> Exact entry p99$"),
    ("3 drain rate of a burst under 60/min", r"burst of [\d,]+ invoices: drain rate$"),
    ("3 no 429 in the burst", r"429 answers from Exact$"),
    ("4 PHP hook cost p99", r"hook cost, "),
    ("4 relay throughput with publisher confirms", r"relay throughput "),
    ("5 scaling: 10 invoices", r"10 invoices$"),
    ("5 scaling: 100 invoices", r"100 invoices$"),
    ("5 store size per 10,000 exported records", r"store size per 10,000 exported invoices"),
    ("5 worker memory after N events", r"worker RSS after [\d,]+ events$"),
    ("5 no memory growth", r"RSS growth over the second half$"),
)

#: figures whose count only the default mode reaches
DEFAULT_ONLY: tuple[tuple[str, str], ...] = (
    ("3 burst of 300 invoices", r"burst of 300 invoices: drain rate$"),
    ("5 scaling: 1,000 invoices", r"1,000 invoices$"),
    ("5 scaling: 10,000 invoices", r"10,000 invoices$"),
    ("5 worker memory after 100,000 events", r"worker RSS after 100,000 events$"),
)


def missing(results: Mapping[str, Any]) -> list[str]:
    """The figures this run's results lack (none when every one is there with a value)."""
    names = [row["name"].strip() for section in results["sections"]
             for row in section["rows"] if row.get("value") is not None]
    wanted = FIGURES + (DEFAULT_ONLY if results["meta"]["mode"] == "default" else ())
    return [figure for figure, pattern in wanted
            if not any(re.match(pattern, name) for name in names)]
