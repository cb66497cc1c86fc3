"""Consuming with manual acks, a few events in flight, and heartbeats kept alive during work.

pika's ``BlockingConnection`` does its I/O (heartbeats included) only when called, and only on
the thread that owns it. The worker loop owns it: it takes deliveries off :class:`Consumer`,
hands each to a :class:`Lanes` thread, and settles what the lanes finish, serving the
connection in between, so a long call to Exact never starves heartbeats.

:class:`Lanes` runs up to N events at once on N long-lived threads (always the same ones, so
thread-bound resources of the processor stay valid). Events of one HostFact party (the debtor
or creditor code in the body) always take the same lane, so they are processed in the order the
broker delivered them; the store's record locks make the rest safe, as with several workers.
Settings changes and direct-debit batches (``RUNS_ALONE``) wait until everything taken in
before them is settled and run with nothing beside them, as a single lane would run them.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from hfexact.errors import TransientError

T = TypeVar("T")

#: event types that run alone, after everything taken in before them is settled: settings decide
#: how every later event is booked, and a direct-debit batch books on invoices queued before it
RUNS_ALONE = frozenset({"settings.changed", "sdd_batch.downloaded"})

#: the party an event belongs to: the first debtor or creditor code in the body
_PARTY = re.compile(rb'"(DebtorCode|CreditorCode)"\s*:\s*"((?:[^"\\]|\\.){1,64})"')


@dataclass(frozen=True)
class Delivery:
    """One message as the broker handed it to us."""

    delivery_tag: int
    exchange: str
    routing_key: str
    redelivered: bool
    properties: Any  # pika.BasicProperties
    body: bytes

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.properties.headers or {})

    @property
    def event_routing_key(self) -> str:
        """The routing key the event was published with (a retry keeps it in a header)."""
        headers = self.properties.headers or {}
        return str(headers.get("x-hfexact-routing-key") or self.routing_key)


def lane_key(body: bytes, message_id: str | None) -> bytes:
    """What decides an event's lane: its party's code, else its own id (a duplicate of the
    same event takes the same lane too)."""
    match = _PARTY.search(body, 0, 65536)
    if match is not None:
        return match.group(1) + b":" + match.group(2)
    return (message_id or "").encode()


def lane_index(key: bytes, count: int) -> int:
    """The lane (of ``count``) that events with this key take: the same in every process."""
    return zlib.crc32(key) % count


class SerialRunner:
    """Runs callables one after another on a single daemon thread."""

    def __init__(self, name: str = "hfexact-processor") -> None:
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((future, fn))
        return future

    def close(self) -> None:
        self._queue.put(None)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as is
                future.set_exception(exc)


class Lanes:
    """``count`` serial runners; :meth:`submit` picks the lane by key."""

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError("at least one lane")
        self._runners = [SerialRunner(f"hfexact-processor-{i}") for i in range(count)]

    def __len__(self) -> int:
        return len(self._runners)

    def submit(self, key: bytes, fn: Callable[[], T]) -> Future[T]:
        return self._runners[lane_index(key, len(self._runners))].submit(fn)

    def close(self) -> None:
        for runner in self._runners:
            runner.close()


class Consumer:
    """A manual-ack consumer of one queue on its own channel; deliveries wait in ``pending``.

    Deliveries are taken in while the owner serves the connection (``serve``); the broker hands
    over at most ``prefetch`` unacknowledged messages.
    """

    def __init__(self, connection: Any, queue_name: str, *, prefetch: int = 1) -> None:
        self.connection = connection
        self.queue = queue_name
        self.channel = connection.channel()
        self.channel.basic_qos(prefetch_count=prefetch)
        self.channel.add_on_cancel_callback(self._on_broker_cancel)
        self.pending: deque[Delivery] = deque()
        self._tag: str | None = None
        self._cancelled_by_broker = False

    def start(self) -> None:
        if self._tag is None:
            self._tag = self.channel.basic_consume(self.queue, self._on_message, auto_ack=False)

    def _on_message(self, _channel: Any, method: Any, props: Any, body: bytes) -> None:
        self.pending.append(Delivery(
            delivery_tag=method.delivery_tag,
            exchange=method.exchange,
            routing_key=method.routing_key,
            redelivered=bool(method.redelivered),
            properties=props,
            body=bytes(body),
        ))

    def _on_broker_cancel(self, _frame: Any) -> None:
        self._cancelled_by_broker = True

    def serve(self, seconds: float) -> None:
        """Do the connection's I/O for up to ``seconds``; returns early when a delivery or a
        :meth:`wake` arrives. Raises ``TransientError`` if the broker cancelled us."""
        self.connection.process_data_events(time_limit=seconds)
        if self._cancelled_by_broker:
            raise TransientError(f"the broker cancelled our consumer of {self.queue!r}",
                                 hint="was the queue deleted? run `hfexact topology declare`")

    def wake(self) -> None:
        """From any thread: make a running :meth:`serve` return now."""
        # a closed connection has nobody to wake
        with contextlib.suppress(Exception):
            self.connection.add_callback_threadsafe(_nothing)

    def hold_off(self) -> None:
        """Cancel our consumer so the broker delivers nothing until :meth:`start`.

        Deliveries already in ``pending`` stay ours to settle. pika hands back (requeues) only
        what was still on the wire; with prefetch 1 and the message in hand unacknowledged,
        that is nothing.
        """
        if self._tag is not None:
            self.channel.basic_cancel(self._tag)
            self._tag = None

    def ack(self, delivery: Delivery) -> None:
        self.channel.basic_ack(delivery.delivery_tag)

    def requeue(self, delivery: Delivery) -> None:
        self.channel.basic_nack(delivery.delivery_tag, requeue=True)

    def pause(self, seconds: float, *, should_abort: Callable[[], bool]) -> None:
        """Consume nothing for a while, keeping the connection alive."""
        remaining = seconds
        while remaining > 0 and not should_abort():
            step = min(0.5, remaining)
            self.connection.sleep(step)
            remaining -= step


def _nothing() -> None:
    return None


class Aborted(Exception):
    """The operator asked to stop now (second signal) while a message was being processed."""
