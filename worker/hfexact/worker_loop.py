"""The worker loop: take an event from ``<P>.exact``, let the processor handle it, settle it.

Every message ends in exactly one of these ways, and is acknowledged only after that end is
confirmed by the broker:

- ``Outcome``: each result message is published to ``<P>.results`` (routing key = result type)
  with publisher confirms, then the event is acked.
- ``PermanentError`` (and an oversized body, checked before anything parses it): dead-lettered
  at once with the reason in headers; results the error carries (``export.failed``) published.
- ``TransientError``: republished to the retry queue for its attempt (exponential backoff with
  jitter), dead-lettered once ``max_attempts`` is reached.
- ``RateLimited``: republished to wait until ``retry_at``, not counted as an attempt; when the
  worker books into a single division it also pauses consuming: what it had taken in but not
  started goes to wait in the retry queue too, what is in flight finishes, and only then does
  it pause, so nothing is held unacked waiting for budget.
- ``AuthorizationLost``: the event is requeued and the worker stops (exit code 3) once what is
  in flight is settled.
- ``ConfigError``: the event is requeued and the worker stops (exit code 2), likewise.
- anything else (a bug, a poison message): dead-lettered as ``crash`` with a traceback summary;
  the worker carries on.

Up to ``HFEXACT_WORKER_CONCURRENCY`` events are in flight at once, each on a lane thread of
its own (``Lanes``: the events of one debtor or creditor always take the same lane, in order),
while this thread serves the connection and settles what the lanes finish, so a long call to
Exact never starves heartbeats and the broker's round trips overlap the processing. The first
SIGTERM/SIGINT lets what is in flight finish (what was taken in but not started goes back to the
queue); a second one stops at once (the messages return to the queue, idempotency covers it).
Connection loss is survived: the worker reconnects with backoff and the broker redelivers what
was not acked. Modelled on rq's ``Worker.work(burst=True)`` and pika's consumer examples.
"""

from __future__ import annotations

import queue
import signal
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Protocol

import pika.exceptions

from hfexact.amqp import topology
from hfexact.amqp.connection import connect as amqp_connect
from hfexact.amqp.consumer import (
    RUNS_ALONE,
    Aborted,
    Consumer,
    Delivery,
    Lanes,
    lane_key,
)
from hfexact.amqp.failures import (
    Failure,
    attempts_of,
    backoff_seconds,
    crash_failure,
    delay_until_ms,
    failure_from_error,
)
from hfexact.amqp.publisher import Publisher, PublishFailed
from hfexact.amqp.settle import Settler
from hfexact.config import Settings
from hfexact.errors import (
    AuthorizationLost,
    BridgeError,
    ConfigError,
    MayStillLand,
    PermanentError,
    RateLimited,
    TransientError,
)
from hfexact.logs import get_logger
from hfexact.processing_types import MessageMeta, Outcome

#: longest single pause while the only division's budget is spent (then one message is tried)
MAX_PAUSE_SECONDS = 60.0
RECONNECT_MAX_SECONDS = 30.0


class Processor(Protocol):
    def process(self, body: bytes, meta: MessageMeta) -> Outcome: ...


@dataclass(frozen=True)
class Settled:
    """How one event ended, for the activity record (``hfexact status``'s last success)."""

    event_id: str | None
    event_type: str
    outcome: str
    hostfact_code: str | None
    exact_id: str | None
    duration_ms: float


@dataclass
class RunStats:
    """What one ``Worker.run`` did."""

    handled: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    stopped_because: str = ""


@dataclass
class _InFlight:
    """A delivery a lane is processing."""

    delivery: Delivery
    routing_key: str
    log: Any
    started: float
    future: Future[Outcome]
    alone: bool = False


@dataclass
class _Session:
    """One connection's consumer, settler and what is in flight on it."""

    consumer: Consumer
    settler: Settler
    inspector: Any
    in_flight: dict[int, _InFlight] = field(default_factory=dict)
    #: delivery tags the lanes finished, in the order they finished (filled from lane threads)
    finished: queue.SimpleQueue[int] = field(default_factory=queue.SimpleQueue)
    #: the only division's budget is spent: take nothing new until its ``retry_at``
    pause: RateLimited | None = None
    #: AuthorizationLost / ConfigError: stop once what is in flight is settled, then raise
    fatal: BaseException | None = None

    @property
    def alone(self) -> bool:
        """An event of ``RUNS_ALONE`` is in flight: start nothing beside it."""
        return any(item.alone for item in self.in_flight.values())


class Worker:
    def __init__(
        self,
        settings: Settings,
        processor: Processor,
        *,
        connect: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.time,
        concurrency: int | None = None,
        idle_seconds: float = 1.0,
        declare_topology: bool = True,
        logger: Any = None,
        on_settled: Callable[[Settled], None] | None = None,
    ) -> None:
        self.settings = settings
        self.processor = processor
        self.names = topology.Names(settings.amqp_prefix)
        self.ladder = topology.retry_ladder_ms(settings.retry_base_seconds,
                                               settings.retry_max_seconds)
        self._connect = connect or (lambda: amqp_connect(settings.amqp_url, name="hfexact worker"))
        self._clock = clock
        self.concurrency = max(1, concurrency if concurrency is not None
                               else settings.worker_concurrency)
        self._idle_seconds = idle_seconds
        self._declare = declare_topology
        self._log = logger or get_logger("hfexact.worker")
        self._on_settled = on_settled
        self._stop_requested = False
        self._stop_now = False
        self.stats = RunStats()

    # -- stopping ------------------------------------------------------------------------------
    def request_stop(self, *, at_once: bool = False) -> None:
        """Finish what is in flight, then stop (any thread, any number of times); ``at_once``:
        stop now, leaving what is in flight to the broker's redelivery."""
        self._stop_requested = True
        if at_once:
            self._stop_now = True

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def install_signal_handlers(self) -> Callable[[], None]:
        """SIGTERM/SIGINT -> :meth:`request_stop`; returns a function restoring the old ones."""
        def handler(signum: int, _frame: FrameType | None) -> None:
            # the first signal lets what is in flight finish, a second one stops at once
            self._log.info("worker.stop_requested", signal=signal.Signals(signum).name,
                           immediate=self._stop_requested)
            self.request_stop(at_once=self._stop_requested)

        old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for signum, previous in old.items():
                signal.signal(signum, previous)

        return restore

    # -- running -------------------------------------------------------------------------------
    def run(self, *, burst: bool = False, max_messages: int | None = None) -> RunStats:
        """Consume until stopped; ``burst`` returns once the queue and its retries are empty."""
        self.stats = RunStats()
        lanes = Lanes(self.concurrency)
        failures = 0
        try:
            while True:
                handled_before = self.stats.handled
                try:
                    self._session(lanes, burst=burst, max_messages=max_messages)
                    return self.stats
                except Aborted:
                    self.stats.stopped_because = "stopped at once by a second signal"
                    return self.stats
                except (pika.exceptions.AMQPError, TransientError) as exc:
                    if self._stop_requested:
                        self.stats.stopped_because = "signal (connection lost while stopping)"
                        return self.stats
                    failures = 1 if self.stats.handled > handled_before else failures + 1
                    self.stats.reconnects += 1
                    wait = backoff_seconds(failures, 1.0, RECONNECT_MAX_SECONDS)
                    self._log.warning("worker.connection_lost", error=repr(exc),
                                      retry_in_seconds=round(wait, 1))
                    self._sleep(wait)
                    if self._stop_requested:
                        self.stats.stopped_because = "signal (while reconnecting)"
                        return self.stats
        finally:
            lanes.close()

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stop_requested and time.monotonic() < deadline:
            time.sleep(min(0.2, deadline - time.monotonic()))

    def _session(self, lanes: Lanes, *, burst: bool, max_messages: int | None) -> None:
        connection = self._connect()
        try:
            if self._declare:
                topology.declare(connection.channel(), self.names.prefix,
                                 retry_delays_ms=self.ladder)
            settler = Settler(Publisher(connection.channel()), self.names, self.ladder,
                              self._clock)
            inspector = connection.channel()
            prefetch = len(lanes)
            if max_messages is not None:  # take no more than will be handled
                prefetch = max(1, min(prefetch, max_messages - self.stats.handled))
            consumer = Consumer(connection, self.names.exact, prefetch=prefetch)
            consumer.start()
            self._log.info("worker.started", queue=self.names.exact, burst=burst,
                           concurrency=len(lanes))
            self._serve(_Session(consumer, settler, inspector), lanes, burst=burst,
                        max_messages=max_messages)
        finally:
            try:
                if connection.is_open:
                    connection.close()
            except pika.exceptions.AMQPError:
                pass

    def _serve(self, s: _Session, lanes: Lanes, *, burst: bool,
               max_messages: int | None) -> None:
        """Start what arrives on a free lane, settle what the lanes finish, until told to stop.

        Every delivery taken in ends settled (or requeued when the worker stops), and nothing
        is acknowledged before its results are confirmed.
        """
        consumer = s.consumer
        quiet_checks = 0
        idle_since = time.monotonic()
        while True:
            if self._stop_now:
                raise Aborted()
            while not s.finished.empty():
                item = s.in_flight.pop(s.finished.get())
                self._count(self._finish(item, s))
                idle_since = time.monotonic()
            limit_reached = max_messages is not None and self.stats.handled >= max_messages
            if s.fatal is not None or self._stop_requested or limit_reached:
                consumer.hold_off()
                if not s.in_flight:
                    self._give_back(consumer)
                    if s.fatal is not None:
                        raise s.fatal
                    self.stats.stopped_because = "max-messages" if limit_reached else "signal"
                    return
            elif s.pause is not None:
                self._settle_pending_rate_limited(s)
                if not s.in_flight:
                    self._pause(s)
                    idle_since = time.monotonic()
                    continue
            else:
                while consumer.pending and len(s.in_flight) < len(lanes) and not s.alone and (
                        max_messages is None
                        or self.stats.handled + len(s.in_flight) < max_messages):
                    alone = consumer.pending[0].event_routing_key in RUNS_ALONE
                    if alone and s.in_flight:
                        break  # it waits until everything taken in before it is settled
                    quiet_checks = 0
                    idle_since = time.monotonic()
                    self._start(consumer.pending.popleft(), s, lanes, alone=alone)
                if (burst and not s.in_flight and not consumer.pending
                        and time.monotonic() - idle_since >= self._idle_seconds):
                    # a message the broker already handed to us counts as neither ready nor
                    # delivered until its frames arrive: only two empty looks an idle period
                    # apart mean the queue is drained
                    quiet_checks = quiet_checks + 1 if self._drained(s) else 0
                    idle_since = time.monotonic()
                    if quiet_checks >= 2:
                        self.stats.stopped_because = "drained"
                        return
            if s.finished.empty():
                consumer.serve(min(0.5, self._idle_seconds))

    def _count(self, label: str) -> None:
        self.stats.handled += 1
        self.stats.outcomes[label] += 1

    @staticmethod
    def _give_back(consumer: Consumer) -> None:
        """Deliveries taken in but never started go back to the queue (the worker stops)."""
        while consumer.pending:
            consumer.requeue(consumer.pending.popleft())

    def _drained(self, s: _Session) -> bool:
        """Nothing ready in ``<P>.exact``, nothing waiting in a retry queue, and nothing
        delivered to us meanwhile (a slow broker may deliver while we ask for the counts)."""
        queues = [self.names.exact] + [self.names.retry_queue(d) for d in self.ladder]
        for name in queues:
            ok = s.inspector.queue_declare(name, passive=True)
            if ok.method.message_count:
                return False
        return not s.consumer.pending

    # -- one message ---------------------------------------------------------------------------
    def _item(self, delivery: Delivery, *, alone: bool = False) -> _InFlight:
        """The delivery with what settling it needs: its routing key, a logger bound to it,
        when it started; ``future`` is the lane's once :meth:`_start` handed it over."""
        props = delivery.properties
        routing_key = delivery.event_routing_key
        log = self._log.bind(event_id=props.message_id, event_type=props.type or routing_key,
                             redelivered=delivery.redelivered,
                             attempts=attempts_of(delivery.headers))
        return _InFlight(delivery, routing_key, log, time.monotonic(), Future(), alone)

    def _start(self, delivery: Delivery, s: _Session, lanes: Lanes, *, alone: bool) -> None:
        """Hand the delivery to its lane (or settle it at once when it is too large)."""
        item = self._item(delivery, alone=alone)
        props = delivery.properties
        size = len(delivery.body)
        if size > self.settings.max_message_bytes:
            failure = Failure("contract", f"message body is {size} bytes, over the limit of "
                              f"{self.settings.max_message_bytes}; it was not parsed",
                              {"body": [f"too large: {size} bytes"]})
            self._count(self._dead(item, s, failure, attempts_of(delivery.headers)))
            return
        meta = MessageMeta(message_id=props.message_id, content_type=props.content_type,
                           routing_key=item.routing_key, headers=delivery.headers,
                           redelivered=delivery.redelivered)
        body = delivery.body
        item.future = lanes.submit(lane_key(body, props.message_id),
                                   lambda: self.processor.process(body, meta))
        tag = delivery.delivery_tag
        s.in_flight[tag] = item

        def finished(_future: Future[Outcome]) -> None:  # on the lane's thread
            s.finished.put(tag)
            s.consumer.wake()

        item.future.add_done_callback(finished)

    def _done(self, item: _InFlight, event: str, label: str, level: str = "info",
              **kw: Any) -> str:
        props = item.delivery.properties
        duration_ms = round((time.monotonic() - item.started) * 1000, 1)
        getattr(item.log, level)(event, outcome=label, duration_ms=duration_ms, **kw)
        self._settled(Settled(props.message_id,
                              str(kw.get("event_type") or props.type or item.routing_key),
                              label, kw.get("hostfact_code"), kw.get("exact_id"), duration_ms))
        return label

    def _finish(self, item: _InFlight, s: _Session) -> str:
        """Settle a delivery its lane is done with."""
        delivery, consumer, settler = item.delivery, s.consumer, s.settler
        props, headers = delivery.properties, delivery.headers
        try:
            outcome = item.future.result()
        except PermanentError as exc:
            settler.results(props.message_id, getattr(exc, "results", ()))  # export.failed
            return self._dead(item, s, failure_from_error(exc), attempts_of(headers))
        except RateLimited as exc:
            return self._rate_limited(exc, item, s)
        except AuthorizationLost as exc:
            consumer.requeue(delivery)
            s.fatal = s.fatal or exc
            return self._done(item, "worker.authorization_lost", "requeued", "error",
                              hint="run `hfexact auth login`, then start the worker again")
        except ConfigError as exc:
            consumer.requeue(delivery)
            s.fatal = s.fatal or exc
            return self._done(item, "worker.config_error", "requeued", "error", reason=str(exc))
        except TransientError as exc:
            return self._transient(exc, item, s)
        except BridgeError as exc:
            return self._dead(item, s, failure_from_error(exc), attempts_of(headers))
        except Exception as exc:  # noqa: BLE001 - a bug or poison message: dead-letter, go on
            failure = crash_failure(exc)
            return self._dead(item, s, failure, attempts_of(headers), event="event.crashed",
                              label="crashed", where=failure.messages["traceback"][-1:])
        try:
            settler.results(props.message_id, outcome.results)
        except PublishFailed as exc:
            return self._transient(exc, item, s)
        consumer.ack(delivery)
        return self._done(item, "event.processed", outcome.status,
                          event_type=outcome.event_type or props.type or item.routing_key,
                          hostfact_code=outcome.hostfact_code, exact_id=outcome.exact_id,
                          results=len(outcome.results))

    def _dead(self, item: _InFlight, s: _Session, failure: Failure, attempts: int, *,
              event: str = "event.dead_lettered", label: str = "dead_lettered",
              **log: Any) -> str:
        s.settler.dead_letter(item.delivery, item.routing_key, failure, attempts)
        s.consumer.ack(item.delivery)
        return self._done(item, event, label, "error" if label == "crashed" else "warning",
                          error=failure.kind, reason=failure.reason,
                          hostfact_code=failure.hostfact_code, **log)

    def _settled(self, settled: Settled) -> None:
        if self._on_settled is None:
            return
        try:
            self._on_settled(settled)
        except Exception as exc:  # noqa: BLE001 - bookkeeping must not stop the loop
            self._log.warning("worker.activity_not_recorded", error=repr(exc))

    def _transient(self, exc: TransientError, item: _InFlight, s: _Session) -> str:
        failure = failure_from_error(exc)
        attempt = attempts_of(item.delivery.headers)
        if isinstance(exc, MayStillLand):
            # not a failed attempt: the event waits until an earlier request can have landed
            delay_ms = delay_until_ms(exc.retry_at, self._clock(), self.ladder)
            return self._retry(item, s, exc, failure, attempt, delay_ms)
        attempt += 1
        if attempt >= self.settings.max_attempts:
            failure = Failure(failure.kind, f"gave up after {attempt} attempts: {failure.reason}",
                              failure.messages, failure.hostfact_code)
            return self._dead(item, s, failure, attempt)
        delay_ms = round(1000 * backoff_seconds(attempt, self.settings.retry_base_seconds,
                                                self.settings.retry_max_seconds))
        return self._retry(item, s, exc, failure, attempt, max(1, min(delay_ms, self.ladder[-1])))

    def _retry(self, item: _InFlight, s: _Session, exc: TransientError, failure: Failure,
               attempt: int, delay_ms: int) -> str:
        s.settler.retry(item.delivery, item.routing_key, failure, attempt, delay_ms,
                        rate_limited=False)
        s.consumer.ack(item.delivery)
        return self._done(item, "event.retry_scheduled", "retry_scheduled", "info",
                          error=exc.kind, reason=failure.reason, attempt=attempt,
                          delay_ms=delay_ms)

    def _rate_limited(self, exc: RateLimited, item: _InFlight, s: _Session) -> str:
        """To the retry queue until ``retry_at``, not counted as an attempt; with one division
        the worker also stops taking messages until then (``_pause``)."""
        only = self._only_division(exc.division)
        if only:
            # cancelled while this message is still unacknowledged: with prefetch 1 the broker
            # has nothing else on its way to us that it would have to take back
            s.consumer.hold_off()
            if s.pause is None or exc.retry_at > s.pause.retry_at:
                s.pause = exc
        return self._wait_for_budget(item, s, exc)

    def _wait_for_budget(self, item: _InFlight, s: _Session, exc: RateLimited) -> str:
        delay_ms = delay_until_ms(exc.retry_at, self._clock(), self.ladder)
        s.settler.retry(item.delivery, item.routing_key, failure_from_error(exc),
                        attempts_of(item.delivery.headers), delay_ms, rate_limited=True)
        s.consumer.ack(item.delivery)
        return self._done(item, "event.rate_limited", "rate_limited", "info",
                          division=exc.division, delay_ms=delay_ms)

    def _settle_pending_rate_limited(self, s: _Session) -> None:
        """Deliveries taken in but not started meet the same spent budget: they wait for it in
        the retry queue rather than unacknowledged in our buffer."""
        assert s.pause is not None
        while s.consumer.pending:
            item = self._item(s.consumer.pending.popleft())
            self._count(self._wait_for_budget(item, s, s.pause))

    def _pause(self, s: _Session) -> None:
        """Nothing in hand and the consumer cancelled: wait for the budget, then consume."""
        assert s.pause is not None
        pause = min(MAX_PAUSE_SECONDS, max(0.0, s.pause.retry_at - self._clock()))
        self._log.info("worker.paused", division=s.pause.division, seconds=round(pause, 1))
        s.consumer.pause(pause, should_abort=lambda: self._stop_requested)
        s.pause = None
        if not self._stop_requested:
            s.consumer.start()

    def _only_division(self, division: int | None) -> bool:
        known = set(self.settings.divisions.values())
        if self.settings.exact_division is not None:
            known.add(self.settings.exact_division)
        return division is None or known == {division}
