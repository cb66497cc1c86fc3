"""Where payment results go: ``<P>.results`` with publisher confirms (``amqp.publisher``).

``publish`` returns only when the broker confirmed every message into a queue; the poller
saves its cursor after that, never before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import pika.exceptions

from hfexact.amqp import topology
from hfexact.amqp.connection import connect
from hfexact.amqp.publisher import Publisher, json_bytes, properties
from hfexact.config import Settings
from hfexact.processing_types import ResultMessage


class ResultSink(Protocol):
    def publish(self, results: Sequence[ResultMessage]) -> None:
        """Publish in order; return once all are confirmed, else raise (TransientError)."""
        ...


class AmqpResultSink:
    """Confirmed, mandatory, persistent; routing key = result type."""

    def __init__(self, channel: Any, prefix: str) -> None:
        self._publisher = Publisher(channel)
        self.exchange = topology.Names(prefix).results
        self.published = 0

    def publish(self, results: Sequence[ResultMessage]) -> None:
        for result in results:
            self._publisher.publish(
                self.exchange, result.type, json_bytes(result.body),
                properties(message_id=result.message_id, type=result.type,
                           headers={"x-hfexact-source": "payments"}))
            self.published += 1


@contextlib.contextmanager
def amqp_sink(settings: Settings, *, declare: bool = True) -> Iterator[AmqpResultSink]:
    """A connection and a confirming sink for the poller; the topology is declared first."""
    connection = connect(settings.amqp_url, name="hfexact payments")
    try:
        if declare:
            ladder = topology.retry_ladder_ms(settings.retry_base_seconds,
                                              settings.retry_max_seconds)
            topology.declare(connection.channel(), settings.amqp_prefix, retry_delays_ms=ladder)
        yield AmqpResultSink(connection.channel(), settings.amqp_prefix)
    finally:
        with contextlib.suppress(pika.exceptions.AMQPError):
            if connection.is_open:
                connection.close()
