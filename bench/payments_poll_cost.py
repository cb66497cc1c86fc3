"""Exact calls per payment poll: a division with 3,000 open invoices of which 50 changed.

    .venv/bin/python bench/payments_poll_cost.py [--invoices 3000] [--changed 50]

Starts an Exact sandbox on a free port, logs in, seeds it with ``--invoices`` open sales
entries (``POST salesentry/SalesEntries`` with the rate limits raised; their bindings are
recorded in a fresh SQLite store as the processor records them), puts Exact's default limits
(60 a minute, 5,000 a day) back, then measures polls with the real ``Poller``:

1. the first poll (the initial sync of every payment term),
2. a poll with nothing changed,
3. a poll after ``--changed`` bank payments (four in five full, one in five partial).

Calls are counted twice: by the poller's Exact client and by the sandbox's own per-endpoint
counters. Results are collected in memory (the bench is about Exact calls, not RabbitMQ).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from hfexact.config import Settings
from hfexact.exact.client import ExactClient
from hfexact.exact.oauth import OAuthClient, OAuthConfig
from hfexact.logs import configure
from hfexact.payments.clients import ExactClients
from hfexact.payments.poller import Poller
from hfexact.processing_types import ResultMessage
from hfexact.sandbox import start_sandbox
from hfexact.store import Store, open_store

DIVISION = 123456
INSTALLATION = "bench"


class Collect:
    def __init__(self) -> None:
        self.results: list[ResultMessage] = []

    def publish(self, results: Sequence[ResultMessage]) -> None:
        self.results += results


def rest_calls(base: str) -> int:
    """REST calls the sandbox answered (token and control calls not counted)."""
    counters = requests.get(f"{base}/sandbox/state", timeout=30).json()["counters"]["calls"]
    return sum(n for k, n in counters.items() if "oauth2" not in k and "/sandbox" not in k)


def control(base: str, name: str, body: dict[str, Any]) -> Any:
    response = requests.post(f"{base}/sandbox/{name}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def log_in(settings: Settings, store: Store) -> None:
    config = OAuthConfig.from_settings(settings, store)
    oauth = OAuthClient(config)
    url, _state = oauth.authorization_url()
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    store.save_tokens(config.client_id, oauth.exchange_code(
        parse_qs(urlsplit(location).query)["code"][0]))


def seed(client: ExactClient, store: Store, count: int) -> list[int]:
    """``count`` open sales entries of 121.00 and their bindings; returns the entry numbers."""
    account = client.post(DIVISION, "crm/Accounts", {"Code": "1001", "Name": "Bench B.V.",
                                                     "Status": "C"})
    gl = client.get(DIVISION, "financial/GLAccounts",
                    {"$filter": "Code eq '8000'", "$select": "ID"})[0]["ID"]
    numbers: list[int] = []
    with Progress(transient=True) as progress:
        task = progress.add_task(f"seeding {count} open invoices", total=count)
        for i in range(1, count + 1):
            entry = client.post(DIVISION, "salesentry/SalesEntries", {
                "Journal": "70", "Customer": account["ID"], "YourRef": f"F{i:05d}",
                "EntryDate": "2026-11-20T00:00:00Z",
                "SalesEntryLines": [{"GLAccount": gl, "AmountFC": 100, "VATCode": "2"}]})
            store.complete_binding(
                INSTALLATION, "invoice", str(i), exact_id=entry["EntryID"],
                exact_number=str(entry["EntryNumber"]), exact_code=None, version=None,
                details={"customer_id": account["ID"], "journal": "70", "credit": False},
                hostfact_code=f"F{i:05d}", division=DIVISION)
            numbers.append(int(entry["EntryNumber"]))
            progress.advance(task)
    store.save_settings(INSTALLATION, {"enabled": {"payments": True}}, version="bench-1")
    return numbers


def measure(name: str, poller: Poller, clients: ExactClients, base: str,
            sink: Collect) -> dict[str, Any]:
    before_client, before_sandbox, before_results = clients.calls, rest_calls(base), len(
        sink.results)
    started = time.monotonic()
    report = poller.poll()
    seconds = time.monotonic() - started
    division = report.divisions[0]
    kinds = Counter(r.type for r in sink.results[before_results:])
    return {"poll": name, "client": clients.calls - before_client,
            "sandbox": rest_calls(base) - before_sandbox, "rows": division.rows,
            "results": ", ".join(f"{n} {k.removeprefix('payment.')}"
                                 for k, n in sorted(kinds.items())) or "none",
            "seconds": f"{seconds:.2f}", "skipped": division.skipped}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=3000)
    parser.add_argument("--changed", type=int, default=50)
    args = parser.parse_args(argv)
    configure("console", "warning")
    console = Console()
    with tempfile.TemporaryDirectory() as tmp, start_sandbox(port=0, divisions=[DIVISION],
                                                             quiet=True) as sandbox:
        base = sandbox.base_url
        settings = Settings(
            exact_base_url=base, exact_client_id="demo", exact_client_secret="demo",  # noqa: S106 - the sandbox client
            exact_redirect_uri="http://127.0.0.1:8599/callback", exact_division=DIVISION,
            installation=INSTALLATION, store_url=f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
        )
        store = open_store(settings.store_url)
        log_in(settings, store)
        control(base, "limits", {"minutely": 1_000_000, "daily": 10_000_000})
        seeding = ExactClient(settings, store)
        numbers = seed(seeding, store, args.invoices)
        seeding.close()
        control(base, "limits", {"minutely": 60, "daily": 5000, "reset_counters": True})
        store.drop_budget(DIVISION)

        sink = Collect()
        clients = ExactClients(settings, store)
        now = [dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC).timestamp()]
        poller = Poller(settings, store, clients, sink, clock=lambda: now[0])
        rows = [measure("first poll (initial sync)", poller, clients, base, sink)]
        now[0] += 60
        rows.append(measure("nothing changed", poller, clients, base, sink))
        for i, number in enumerate(numbers[:args.changed]):
            amount = "121.00" if i % 5 else "21.00"
            control(base, "bank-payment", {"division": DIVISION, "invoice_number": number,
                                           "amount": amount, "date": "2026-12-01"})
        now[0] += 60
        rows.append(measure(f"{args.changed} of {args.invoices} changed", poller, clients,
                            base, sink))
        clients.close()
        store.close()

    table = Table("poll", "Exact calls (client)", "Exact calls (sandbox)", "terms read",
                  "results", "seconds", title=f"payment poll cost, {args.invoices} open "
                  f"invoices in one division")
    for r in rows:
        table.add_row(r["poll"], str(r["client"]), str(r["sandbox"]), str(r["rows"]),
                      r["results"], r["seconds"] + (f" (skipped: {r['skipped']})"
                                                    if r["skipped"] else ""))
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
