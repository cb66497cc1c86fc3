"""``hfexact backfill run`` against the sandbox, a real store and the real RabbitMQ: the paced
worker books until only the headroom of the day is left, never meets a 429, and leaves the rest
of the backlog in the broker for the next day."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import uuid
from collections.abc import Iterator

import pika
import pika.exceptions
import pytest
import structlog
import structlog.testing
from rich.console import Console
from tests.integration.test_processing_samples import (  # noqa: F401 (fixtures)
    DIV,
    SandboxControl,
    client_fixture,
    control_fixture,
    debtor_data,
    envelope,
    invoice_event,
    meta,
    open_stores_fixture,
    pg_database_fixture,
    sandbox_fixture,
    settings_data,
    settings_fixture,
    store_fixture,
    store_url_fixture,
)

from hfexact.amqp import topology
from hfexact.backfill.runner import run_backfill
from hfexact.config import Settings
from hfexact.exact.client import ExactClient
from hfexact.processing import Processor
from hfexact.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

DAILY = 40
HEADROOM = 0.25
EVENTS = 30


@pytest.fixture(name="paced_settings")
def paced_settings_fixture(settings: Settings) -> Iterator[Settings]:
    """The test's settings on a fresh prefix of the default vhost (topology deleted after)."""
    prefix = "t" + uuid.uuid4().hex[:8]
    paced = dataclasses.replace(settings, amqp_prefix=prefix, retry_base_seconds=0.05,
                                retry_max_seconds=0.4, log_level="warning")
    connection = pika.BlockingConnection(pika.URLParameters(paced.amqp_url))
    ladder = topology.retry_ladder_ms(paced.retry_base_seconds, paced.retry_max_seconds)
    topology.declare(connection.channel(), prefix, retry_delays_ms=ladder)
    try:
        yield paced
    finally:
        plan = topology.plan(prefix, ladder)
        with contextlib.suppress(pika.exceptions.AMQPError):
            channel = connection.channel()
            topology.delete(channel, plan)
            connection.close()


def waiting(settings: Settings) -> int:
    """Messages in ``<P>.exact`` and its retry queues."""
    names = topology.Names(settings.amqp_prefix)
    ladder = topology.retry_ladder_ms(settings.retry_base_seconds, settings.retry_max_seconds)
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_url))
    try:
        channel = connection.channel()
        return sum(int(channel.queue_declare(q, passive=True).method.message_count)
                   for q in [names.exact, *(names.retry_queue(d) for d in ladder)])
    finally:
        connection.close()


def publish(settings: Settings, bodies: list[bytes]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for body in bodies:
            doc = json.loads(body)
            channel.basic_publish(topology.Names(settings.amqp_prefix).events, doc["type"],
                                  body, pika.BasicProperties(
                                      delivery_mode=2, content_type="application/json",
                                      message_id=doc["id"], type=doc["type"]), mandatory=True)
    finally:
        connection.close()


def test_backfill_uses_its_share_of_the_day_and_stops(
    paced_settings: Settings, store: Store, client: ExactClient, control: SandboxControl,
) -> None:
    """Daily limit 40, headroom 25 %: 10 calls stay free; the rest books invoices, no 429."""
    control.post("limits", {"minutely": 1000, "daily": DAILY, "reset_counters": True})
    processor = Processor(paced_settings, store, client)
    body = envelope("settings.changed", settings_data())
    assert processor.process(body, meta(body)).results[0].body["data"]["valid"] is True
    for n in (1, 2, 3):
        body = envelope("debtor.upserted", debtor_data(n))
        assert processor.process(body, meta(body)).status == "done"
    budget = store.get_budget(DIV)
    assert budget is not None
    assert budget.day_limit == DAILY
    assert budget.day_remaining is not None
    keep_day = math.ceil(DAILY * HEADROOM)
    expected = budget.day_remaining - keep_day
    assert 0 < expected < EVENTS

    publish(paced_settings, [invoice_event(7000 + i, 1 + i % 3) for i in range(EVENTS)])
    output = io.StringIO()
    with structlog.testing.capture_logs() as logs:  # off a terminal: progress as log lines
        report = run_backfill(paced_settings, headroom=HEADROOM, stop_when_spent=True,
                              show_progress=True, idle_seconds=0.2,
                              console=Console(file=output, width=160))

    assert report.keep_day == keep_day
    assert report.handled == expected
    assert report.exact_calls == expected
    assert report.total == EVENTS
    assert report.spent_until is not None
    assert "spent" in report.stopped_because
    entries = control.table("salesentry/SalesEntries")
    assert len(entries) == expected
    state = control.state()
    assert state["counters"]["rate_limited"] == 0
    assert store.get_budget(DIV).day_remaining == keep_day  # type: ignore[union-attr]
    assert waiting(paced_settings) == EVENTS - expected
    updates = [x for x in logs if x["event"] == "progress.update" and x["task"] == "backfill"]
    assert updates, logs
    assert updates[0]["total"] == EVENTS
    assert "Exact calls" in updates[0]["note"]
    assert "finish by budget" in updates[0]["note"]
    (finished,) = [x for x in logs if x["event"] == "progress.finished"]
    assert (finished["task"], finished["done"], finished["total"]) == (
        "backfill", expected, EVENTS)
    assert output.getvalue() == ""  # no bar drawn into a file
