"""The pieces the benchmarks stand up: the Exact sandbox, a store, a logged-in client, a ready
processor, and an AMQP vhost of their own.

The sandbox always runs in a subprocess (``spawn_sandbox``), so client and server never share a
GIL. Event bodies come from the builders the integration tests use
(``tests/integration/test_processing_samples.py``), each checked against the contract.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika
import pika.exceptions
import requests
from tests.integration.test_processing_samples import (
    DIV,
    INSTALLATION,
    REDIRECT,
    SandboxControl,
    count_calls,
    debtor_data,
    envelope,
    invoice_event,
    log_in,
    meta,
    settings_data,
)

from hfexact.amqp import topology
from hfexact.config import Settings
from hfexact.cpu import as_the_worker_command
from hfexact.exact.client import ExactClient
from hfexact.processing import Processor
from hfexact.sandbox.server import SandboxProcess, spawn_sandbox
from hfexact.store import Store, open_store
from hfexact.worker_loop import RunStats, Worker

__all__ = [
    "DIV", "INSTALLATION", "BenchSandbox", "Broker", "debtor_data", "envelope", "invoice_event",
    "meta", "settings_data",
]

#: "limits off": far above anything a benchmark sends
UNLIMITED = (10_000_000, 100_000_000)
LINES = [("100", "1", "21", "P0001"), ("12.50", "2", "9", "P0002")]


class BenchSandbox:
    """The Exact sandbox in a child process, with its control API."""

    def __init__(self, minutely: int = UNLIMITED[0], daily: int = UNLIMITED[1]) -> None:
        self.process: SandboxProcess = spawn_sandbox(args=(
            "--minutely", str(minutely), "--daily", str(daily), "--division", str(DIV)))
        self.base_url = self.process.base_url
        self.control = SandboxControl(self.base_url)

    def limits(self, minutely: int, daily: int, *, reset_counters: bool = True) -> None:
        self.control.post("limits", {"minutely": minutely, "daily": daily,
                                     "reset_counters": reset_counters})

    def reset(self) -> None:
        self.control.post("reset")

    def calls(self) -> int:
        """REST calls answered so far (token and control calls not counted)."""
        return count_calls(self.control.state()["counters"])

    def counters(self) -> dict[str, Any]:
        counters: dict[str, Any] = self.control.state()["counters"]
        return counters

    def stop(self) -> None:
        self.process.stop()

    def __enter__(self) -> BenchSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def scratch_dir(prefix: str = "hfexact-bench-", *, memory: bool = False) -> Iterator[Path]:
    """A temporary directory (``memory``: on tmpfs, /dev/shm, when the machine has one)."""
    where = "/dev/shm" if memory and Path("/dev/shm").is_dir() else None  # noqa: S108
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def bench_settings(base_url: str, store_url: str, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "exact_base_url": base_url, "exact_client_id": "demo", "exact_client_secret": "demo",
        "exact_redirect_uri": REDIRECT, "exact_division": DIV, "store_url": store_url,
        "http_timeout_seconds": 30.0, "log_level": "warning",
    }
    values.update(over)
    return Settings(**values)


def sqlite_url(directory: Path, name: str = "store") -> str:
    return f"sqlite:///{directory / (name + '.sqlite3')}"


def connect(settings: Settings, **client_options: Any) -> tuple[Store, ExactClient]:
    """A store (migrated) and an Exact client logged in to the sandbox with the demo client."""
    store = open_store(settings.store_url)
    log_in(settings, store)
    client = ExactClient(settings, store, **client_options)
    return store, client


def run_as_shipped(worker: Worker, settings: Settings, **run: Any) -> RunStats:
    """``worker.run`` on the CPU ``hfexact worker`` would keep to (``HFEXACT_WORKER_CPU``)."""
    with as_the_worker_command(settings.worker_cpu):
        return worker.run(**run)


def process(processor: Processor, body: bytes) -> str:
    outcome = processor.process(body, meta(body))
    return outcome.status


def ready_processor(settings: Settings, store: Store, client: ExactClient, *,
                    debtors: int = 0, installation: str = INSTALLATION) -> Processor:
    """A processor whose installation has valid settings and ``debtors`` exported debtors."""
    processor = Processor(settings, store, client)
    body = envelope("settings.changed", settings_data(), installation=installation)
    outcome = processor.process(body, meta(body))
    assert outcome.results[0].body["data"]["valid"] is True, outcome.results
    for n in range(1, debtors + 1):
        body = envelope("debtor.upserted", debtor_data(n), installation=installation)
        assert process(processor, body) == "done"
    return processor


def invoices(first: int, count: int, debtors: int, **over: Any) -> list[bytes]:
    """``count`` invoice.issued bodies (two lines, 21 % and 9 %) over ``debtors`` debtors."""
    return list(iter_invoices(first, count, debtors, **over))


def iter_invoices(first: int, count: int, debtors: int, **over: Any) -> Iterator[bytes]:
    """The bodies of ``invoices``, made lazily and cheaply: one contract-checked body per
    debtor is the template, and each invoice changes only what numbers it (event id, invoice
    id and code, line ids), so 100,000 events cost no 100,000 contract checks up front."""
    templates: dict[int, dict[str, Any]] = {}
    for i in range(count):
        n, debtor = first + i, 1 + i % debtors
        if debtor not in templates:
            templates[debtor] = json.loads(invoice_event(n, debtor, LINES, **over))
        doc = templates[debtor]
        data = doc["data"]
        data["Identifier"], data["InvoiceCode"] = str(n), f"F2026-{n:04d}"
        for k, line in enumerate(data["InvoiceLines"]):
            line["Identifier"] = str(n * 100 + k)
        doc["id"] = str(uuid.uuid4())
        yield json.dumps(doc).encode()


# --------------------------------------------------------------------------- RabbitMQ

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@dataclass(frozen=True)
class Broker:
    """A fresh topology prefix ``b<hex8>`` on the machine's RabbitMQ for one benchmark; every
    queue and exchange of it is deleted at the end (never re-declared: names are fresh)."""

    prefix: str
    url: str = AMQP_URL

    @classmethod
    def fresh(cls) -> Broker:
        return cls("b" + uuid.uuid4().hex[:8])

    def declare(self, settings: Settings) -> topology.Topology:
        ladder = topology.retry_ladder_ms(settings.retry_base_seconds,
                                          settings.retry_max_seconds)
        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            return topology.declare(connection.channel(), self.prefix, retry_delays_ms=ladder)
        finally:
            connection.close()

    def delete(self, settings: Settings) -> None:
        ladder = topology.retry_ladder_ms(settings.retry_base_seconds,
                                          settings.retry_max_seconds)
        plan = topology.plan(self.prefix, ladder)
        with contextlib.suppress(pika.exceptions.AMQPError):
            connection = pika.BlockingConnection(pika.URLParameters(self.url))
            try:
                channel = connection.channel()
                topology.delete(channel, plan)
            finally:
                connection.close()


def sandbox_entries(control: SandboxControl, path: str = "salesentry/SalesEntries"
                    ) -> list[dict[str, Any]]:
    return control.table(path, DIV)


def get_json(url: str) -> Any:
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return response.json()
