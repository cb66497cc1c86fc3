"""Shared harness for the payment poller's integration tests (no tests of its own).

Invoices are exported by the real ``Processor`` (the processing tests' event builders, the
Exact sandbox over HTTP, a real store on SQLite and PostgreSQL); bank payments and unmatching
go through the sandbox's control API; results are published to the real RabbitMQ and read
back from ``<P>.bridge.results``. Every test gets a fresh prefix ``t<hex8>`` on the broker of
``HFEXACT_TEST_AMQP_URL`` (default: guest on the default vhost); its exchanges and queues are
deleted afterwards (fresh names are never reused). No vhost is made: that needs
``rabbitmqctl``, which is slow and fragile when several suites share the broker.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pika
import pika.exceptions
import pytest
from tests.integration.amqp_fixtures import AmqpProbe
from tests.integration.test_processing_samples import (
    DIV,
    DIV2,
    INSTALLATION,
    SandboxControl,
    invoice_event,
    meta,
)

from hfexact.amqp import topology
from hfexact.amqp.connection import connect
from hfexact.config import Settings
from hfexact.payments.clients import ExactClients
from hfexact.payments.poller import Poller, PollReport
from hfexact.payments.publish import AmqpResultSink, ResultSink
from hfexact.processing import Processor
from hfexact.processing_types import ResultMessage
from hfexact.store import Binding, Store

#: the poller's "now": after every payment date the tests use
AFTER = dt.datetime(2026, 12, 10, 12, 0, tzinfo=dt.UTC).timestamp()


class Harness:
    """Book invoices, pay them in the sandbox, poll, and read what was published."""

    def __init__(self, settings: Settings, store: Store, processor: Processor,
                 control: SandboxControl, probe: AmqpProbe) -> None:
        self.settings = settings
        self.store = store
        self.processor = processor
        self.control = control
        self.probe = probe
        self.now = AFTER
        #: the poller's clock (``now`` unless a test follows the sandbox's clock)
        self.clock: Callable[[], float] = lambda: self.now
        self.clients = ExactClients(settings, store)
        self.connection = connect(settings.amqp_url, name="payments test")
        probe.declare(settings)
        self.sink: ResultSink = AmqpResultSink(self.connection.channel(), settings.amqp_prefix)

    def close(self) -> None:
        self.clients.close()
        if self.connection.is_open:
            self.connection.close()

    # -- HostFact -> Exact -----------------------------------------------------------------
    def book(self, n: int, debtor: int = 1, **over: Any) -> Binding:
        body = invoice_event(n, debtor, **over)
        self.processor.process(body, meta(body))
        binding = self.store.get_binding(INSTALLATION, "invoice", str(n))
        assert binding is not None
        assert binding.state == "done"
        return binding

    def run(self, body: bytes) -> Any:
        return self.processor.process(body, meta(body))

    def number(self, n: int, kind: str = "invoice") -> int:
        binding = self.store.get_binding(INSTALLATION, kind, str(n))
        assert binding is not None
        assert binding.exact_number is not None
        return int(binding.exact_number)

    # -- what happens in Exact -------------------------------------------------------------
    def pay(self, n: int, amount: str, date: str, kind: str = "invoice") -> Any:
        return self.control.post("bank-payment", {"division": DIV,
                                                  "invoice_number": self.number(n, kind),
                                                  "amount": amount, "date": date})

    def unmatch(self, n: int) -> Any:
        return self.control.post("unmatch", {"division": DIV, "invoice_number": self.number(n)})

    # -- the poller ------------------------------------------------------------------------
    def follow_sandbox_clock(self, advance: float = 0.0) -> Callable[[], float]:
        """Poller and Exact client on the sandbox's clock (moved ``advance`` seconds)."""
        offset = float(self.control.post("clock", {"advance": advance})["offset"])

        def clock() -> float:
            return time.time() + offset

        self.clients.close()
        self.clients = ExactClients(self.settings, self.store, clock=clock)
        self.clock = clock
        return clock

    def poller(self, sink: ResultSink | None = None) -> Poller:
        return Poller(self.settings, self.store, self.clients, sink or self.sink,
                      clock=self.clock)

    def poll(self, sink: ResultSink | None = None) -> PollReport:
        return self.poller(sink).poll()

    def published(self) -> list[dict[str, Any]]:
        """Every result now in <P>.bridge.results (taken off the queue), as JSON bodies."""
        names = self.probe.names
        messages = self.probe.take_all(names.bridge_results)
        for m in messages:
            assert m.properties.message_id == m.json()["id"]
            assert m.properties.type == m.routing_key == m.json()["type"]
        return [m.json() for m in messages]


def by_code(results: Sequence[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
    """invoice code -> [(type, amount, amount_open, pay_date)] in publishing order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for r in results:
        d = r["data"]
        out.setdefault(d["invoice_code"], []).append(
            (r["type"], d.get("amount"), d.get("amount_open"), d.get("pay_date")))
    return out


class CrashAfterPublish:
    """A sink that really publishes (with confirms) and then 'crashes' the poller."""

    def __init__(self, inner: ResultSink) -> None:
        self.inner = inner
        self.published: list[ResultMessage] = []

    def publish(self, results: Sequence[ResultMessage]) -> None:
        self.inner.publish(results)
        self.published += results
        if results:
            raise Crash("killed after publishing, before saving the cursor")


class Crash(BaseException):
    """A process dying (BaseException: no handler in the poller catches it)."""


AMQP_URL = os.environ.get("HFEXACT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def delete_topology(url: str, settings: Settings) -> None:
    """Remove what a test declared under its fresh prefix (the names are never reused)."""
    ladder = topology.retry_ladder_ms(settings.retry_base_seconds, settings.retry_max_seconds)
    plan = topology.plan(settings.amqp_prefix, ladder)
    with contextlib.suppress(pika.exceptions.AMQPError):
        connection = pika.BlockingConnection(pika.URLParameters(url))
        try:
            channel = connection.channel()
            topology.delete(channel, plan)
        finally:
            connection.close()


@pytest.fixture(name="payments_amqp")
def payments_amqp_fixture() -> Iterator[Settings]:
    """Settings with a fresh topology prefix on the test broker; cleaned up afterwards."""
    settings = dataclasses.replace(Settings(), amqp_url=AMQP_URL,
                                   amqp_prefix="t" + uuid.uuid4().hex[:8],
                                   retry_base_seconds=0.05, retry_max_seconds=0.4)
    yield settings
    delete_topology(AMQP_URL, settings)


@pytest.fixture(name="harness")
def harness_fixture(ready: Processor, settings: Settings, store: Store,
                    control: SandboxControl, payments_amqp: Settings) -> Iterator[Harness]:
    """Exports through the real processor; limits high enough that the share never binds."""
    control.post("limits", {"minutely": 1000, "daily": 100000, "reset_counters": True})
    for division in (DIV, DIV2):  # forget the 60/minute budget the settings check reported
        store.drop_budget(division)
    combined = dataclasses.replace(settings, amqp_url=payments_amqp.amqp_url,
                                   amqp_prefix=payments_amqp.amqp_prefix,
                                   retry_base_seconds=payments_amqp.retry_base_seconds,
                                   retry_max_seconds=payments_amqp.retry_max_seconds)
    probe = AmqpProbe(AMQP_URL, payments_amqp.amqp_prefix)
    harness = Harness(combined, store, ready, control, probe)
    yield harness
    harness.close()
    probe.close()


Clock = Callable[[], float]
