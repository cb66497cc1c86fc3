"""Consuming with manual acks, a small prefetch, and heartbeats kept alive during long work.

pika's ``BlockingConnection`` does its I/O (heartbeats included) only when called. A message
whose processing takes longer than the heartbeat timeout would otherwise get the connection
closed under it. :class:`SerialRunner` runs the work on one long-lived thread (always the same
one, so thread-bound resources of the processor stay valid) while the connection's thread keeps
serving I/O in :meth:`Consumer.wait_for`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Any, TypeVar

from hfexact.errors import TransientError

T = TypeVar("T")


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


class Consumer:
    """A manual-ack consumer of one queue on its own channel."""

    def __init__(self, connection: Any, queue_name: str, *, prefetch: int = 1) -> None:
        self.connection = connection
        self.queue = queue_name
        self.channel = connection.channel()
        self.channel.basic_qos(prefetch_count=prefetch)
        self._held_off = False

    def deliveries(self, idle_seconds: float) -> Iterator[Delivery | None]:
        """Messages as they arrive; ``None`` after ``idle_seconds`` without one."""
        while True:
            for method, props, body in self.channel.consume(
                self.queue, inactivity_timeout=idle_seconds
            ):
                if method is None:
                    yield None
                    continue
                yield Delivery(
                    delivery_tag=method.delivery_tag,
                    exchange=method.exchange,
                    routing_key=method.routing_key,
                    redelivered=bool(method.redelivered),
                    properties=props,
                    body=bytes(body),
                )
            if not self._held_off:
                raise TransientError(f"the broker cancelled our consumer of {self.queue!r}",
                                     hint="was the queue deleted? run `hfexact topology declare`")
            self._held_off = False  # we cancelled it for a pause: consume again

    def hold_off(self) -> None:
        """Cancel our consumer so the broker delivers nothing until ``deliveries`` resumes.

        Call it while the message in hand is still unacknowledged: with prefetch 1 the broker
        has delivered nothing else, so nothing is handed back (a returned message would count
        towards the quorum queue's delivery limit) and nothing sits unacknowledged in our
        buffer during a pause (RabbitMQ's ``consumer_timeout``).
        """
        self.channel.cancel()
        self._held_off = True

    def wait_for(
        self,
        future: Future[T],
        *,
        should_abort: Callable[[], bool],
        slice_seconds: float = 0.5,
    ) -> None:
        """Wait until the future is done, serving heartbeats meanwhile; ``Aborted`` if asked to
        stop. The future's own exception is left for the caller (``future.result()``)."""
        while not wait([future], timeout=slice_seconds).done:
            self.connection.process_data_events(time_limit=0)
            if should_abort():
                raise Aborted()

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


class Aborted(Exception):
    """The operator asked to stop now (second signal) while a message was being processed."""
