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
  worker books into a single division it also pauses consuming, so nothing is held unacked
  waiting for budget.
- ``AuthorizationLost``: the event is requeued and the worker stops (exit code 3).
- ``ConfigError``: the event is requeued and the worker stops (exit code 2).
- anything else (a bug, a poison message): dead-lettered as ``crash`` with a traceback summary;
  the worker carries on.

The processor runs on one thread of its own while this thread serves the connection, so long
calls to Exact never starve heartbeats. The first SIGTERM/SIGINT lets the current message
finish; a second one stops at once (the message returns to the queue, idempotency covers it).
Connection loss is survived: the worker reconnects with backoff and the broker redelivers what
was not acked. Modelled on rq's ``Worker.work(burst=True)`` and pika's consumer examples.
"""

from __future__ import annotations

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
from hfexact.amqp.consumer import Aborted, Consumer, Delivery, SerialRunner
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


class Worker:
    def __init__(
        self,
        settings: Settings,
        processor: Processor,
        *,
        connect: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.time,
        prefetch: int = 1,
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
        self._prefetch = prefetch
        self._idle_seconds = idle_seconds
        self._declare = declare_topology
        self._log = logger or get_logger("hfexact.worker")
        self._on_settled = on_settled
        self._stop_requested = False
        self._stop_now = False
        self.stats = RunStats()

    # -- stopping ------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """First call: finish the current message, then stop. Second call: stop now."""
        if self._stop_requested:
            self._stop_now = True
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def install_signal_handlers(self) -> Callable[[], None]:
        """SIGTERM/SIGINT -> :meth:`request_stop`; returns a function restoring the old ones."""
        def handler(signum: int, _frame: FrameType | None) -> None:
            self._log.info("worker.stop_requested", signal=signal.Signals(signum).name,
                           immediate=self._stop_requested)
            self.request_stop()

        old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for signum, previous in old.items():
                signal.signal(signum, previous)

        return restore

    # -- running -------------------------------------------------------------------------------
    def run(self, *, burst: bool = False, max_messages: int | None = None) -> RunStats:
        """Consume until stopped; ``burst`` returns once the queue and its retries are empty."""
        self.stats = RunStats()
        runner = SerialRunner()
        failures = 0
        try:
            while True:
                handled_before = self.stats.handled
                try:
                    self._session(runner, burst=burst, max_messages=max_messages)
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
            runner.close()

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stop_requested and time.monotonic() < deadline:
            time.sleep(min(0.2, deadline - time.monotonic()))

    def _session(self, runner: SerialRunner, *, burst: bool, max_messages: int | None) -> None:
        connection = self._connect()
        try:
            if self._declare:
                topology.declare(connection.channel(), self.names.prefix,
                                 retry_delays_ms=self.ladder)
            settler = Settler(Publisher(connection.channel()), self.names, self.ladder,
                              self._clock)
            inspector = connection.channel()
            consumer = Consumer(connection, self.names.exact, prefetch=self._prefetch)
            self._log.info("worker.started", queue=self.names.exact, burst=burst)
            quiet_checks = 0
            for delivery in consumer.deliveries(self._idle_seconds):
                if self._stop_requested:
                    self.stats.stopped_because = "signal"
                    return
                if delivery is None:
                    # a message the broker already handed to us counts as neither ready nor
                    # delivered until its frames arrive: only two empty looks an idle period
                    # apart mean the queue is drained
                    quiet_checks = quiet_checks + 1 if burst and self._drained(
                        inspector, consumer) else 0
                    if quiet_checks >= 2:
                        self.stats.stopped_because = "drained"
                        return
                    continue
                quiet_checks = 0
                label = self._handle(delivery, consumer, settler, runner)
                self.stats.handled += 1
                self.stats.outcomes[label] += 1
                if max_messages is not None and self.stats.handled >= max_messages:
                    self.stats.stopped_because = "max-messages"
                    return
                if self._stop_requested:
                    self.stats.stopped_because = "signal"
                    return
        finally:
            try:
                if connection.is_open:
                    connection.close()
            except pika.exceptions.AMQPError:
                pass

    def _drained(self, inspector: Any, consumer: Consumer) -> bool:
        """Nothing ready in ``<P>.exact``, nothing waiting in a retry queue, and nothing
        delivered to us meanwhile (a slow broker may deliver while we ask for the counts)."""
        queues = [self.names.exact] + [self.names.retry_queue(d) for d in self.ladder]
        for name in queues:
            ok = inspector.queue_declare(name, passive=True)
            if ok.method.message_count:
                return False
        return not consumer.channel.get_waiting_message_count()

    # -- one message ---------------------------------------------------------------------------
    def _handle(
        self, delivery: Delivery, consumer: Consumer, settler: Settler, runner: SerialRunner
    ) -> str:
        started = time.monotonic()
        props = delivery.properties
        headers = delivery.headers
        routing_key = str(headers.get("x-hfexact-routing-key") or delivery.routing_key)
        log = self._log.bind(event_id=props.message_id, event_type=props.type or routing_key,
                             redelivered=delivery.redelivered, attempts=attempts_of(headers))

        def done(event: str, label: str, level: str = "info", **kw: Any) -> str:
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            getattr(log, level)(event, outcome=label, duration_ms=duration_ms, **kw)
            self._settled(Settled(props.message_id,
                                  str(kw.get("event_type") or props.type or routing_key), label,
                                  kw.get("hostfact_code"), kw.get("exact_id"), duration_ms))
            return label

        size = len(delivery.body)
        if size > self.settings.max_message_bytes:
            failure = Failure("contract", f"message body is {size} bytes, over the limit of "
                              f"{self.settings.max_message_bytes}; it was not parsed",
                              {"body": [f"too large: {size} bytes"]})
            return self._dead(delivery, routing_key, failure, attempts_of(headers), consumer,
                              settler, done)

        meta = MessageMeta(message_id=props.message_id, content_type=props.content_type,
                           routing_key=routing_key, headers=headers,
                           redelivered=delivery.redelivered)
        body = delivery.body
        future: Future[Outcome] = runner.submit(lambda: self.processor.process(body, meta))
        consumer.wait_for(future, should_abort=lambda: self._stop_now)
        try:
            outcome = future.result()
        except PermanentError as exc:
            settler.results(props.message_id, getattr(exc, "results", ()))  # export.failed
            return self._dead(delivery, routing_key, failure_from_error(exc),
                              attempts_of(headers), consumer, settler, done)
        except RateLimited as exc:
            return self._rate_limited(exc, delivery, routing_key, consumer, settler, done)
        except AuthorizationLost:
            consumer.requeue(delivery)
            done("worker.authorization_lost", "requeued", "error",
                 hint="run `hfexact auth login`, then start the worker again")
            raise
        except ConfigError as exc:
            consumer.requeue(delivery)
            done("worker.config_error", "requeued", "error", reason=str(exc))
            raise
        except TransientError as exc:
            return self._transient(exc, delivery, routing_key, consumer, settler, done)
        except BridgeError as exc:
            return self._dead(delivery, routing_key, failure_from_error(exc),
                              attempts_of(headers), consumer, settler, done)
        except Exception as exc:  # noqa: BLE001 - a bug or poison message: dead-letter, go on
            failure = crash_failure(exc)
            return self._dead(delivery, routing_key, failure, attempts_of(headers), consumer,
                              settler, done, event="event.crashed", label="crashed",
                              where=failure.messages["traceback"][-1:])
        try:
            settler.results(props.message_id, outcome.results)
        except PublishFailed as exc:
            return self._transient(exc, delivery, routing_key, consumer, settler, done)
        consumer.ack(delivery)
        return done("event.processed", outcome.status, event_type=outcome.event_type or
                    props.type or routing_key, hostfact_code=outcome.hostfact_code,
                    exact_id=outcome.exact_id, results=len(outcome.results))

    @staticmethod
    def _dead(delivery: Delivery, routing_key: str, failure: Failure, attempts: int,
              consumer: Consumer, settler: Settler, done: Callable[..., str], *,
              event: str = "event.dead_lettered", label: str = "dead_lettered",
              **log: Any) -> str:
        settler.dead_letter(delivery, routing_key, failure, attempts)
        consumer.ack(delivery)
        return done(event, label, "error" if label == "crashed" else "warning",
                    error=failure.kind, reason=failure.reason,
                    hostfact_code=failure.hostfact_code, **log)

    def _settled(self, settled: Settled) -> None:
        if self._on_settled is None:
            return
        try:
            self._on_settled(settled)
        except Exception as exc:  # noqa: BLE001 - bookkeeping must not stop the loop
            self._log.warning("worker.activity_not_recorded", error=repr(exc))

    def _transient(
        self, exc: TransientError, delivery: Delivery, routing_key: str, consumer: Consumer,
        settler: Settler, done: Callable[..., str],
    ) -> str:
        failure = failure_from_error(exc)
        if isinstance(exc, MayStillLand):
            # not a failed attempt: the event waits until an earlier request can have landed
            attempt = attempts_of(delivery.headers)
            delay_ms = delay_until_ms(exc.retry_at, self._clock(), self.ladder)
            settler.retry(delivery, routing_key, failure, attempt, delay_ms, rate_limited=False)
            consumer.ack(delivery)
            return done("event.retry_scheduled", "retry_scheduled", "info", error=exc.kind,
                        reason=failure.reason, attempt=attempt, delay_ms=delay_ms)
        attempt = attempts_of(delivery.headers) + 1
        if attempt >= self.settings.max_attempts:
            failure = Failure(failure.kind, f"gave up after {attempt} attempts: {failure.reason}",
                              failure.messages, failure.hostfact_code)
            return self._dead(delivery, routing_key, failure, attempt, consumer, settler, done)
        delay_ms = round(1000 * backoff_seconds(attempt, self.settings.retry_base_seconds,
                                                self.settings.retry_max_seconds))
        delay_ms = max(1, min(delay_ms, self.ladder[-1]))
        settler.retry(delivery, routing_key, failure, attempt, delay_ms, rate_limited=False)
        consumer.ack(delivery)
        return done("event.retry_scheduled", "retry_scheduled", "info", error=exc.kind,
                    reason=failure.reason, attempt=attempt, delay_ms=delay_ms)

    def _rate_limited(
        self, exc: RateLimited, delivery: Delivery, routing_key: str, consumer: Consumer,
        settler: Settler, done: Callable[..., str],
    ) -> str:
        now = self._clock()
        delay_ms = delay_until_ms(exc.retry_at, now, self.ladder)
        settler.retry(delivery, routing_key, failure_from_error(exc),
                      attempts_of(delivery.headers), delay_ms, rate_limited=True)
        only = self._only_division(exc.division)
        if only:  # pause consuming: nothing may wait unacked in our buffer meanwhile
            consumer.hold_off()
        consumer.ack(delivery)
        label = done("event.rate_limited", "rate_limited", "info", division=exc.division,
                     delay_ms=delay_ms)
        if only:
            pause = min(MAX_PAUSE_SECONDS, max(0.0, exc.retry_at - now))
            self._log.info("worker.paused", division=exc.division, seconds=round(pause, 1))
            consumer.pause(pause, should_abort=lambda: self._stop_requested)
        return label

    def _only_division(self, division: int | None) -> bool:
        known = set(self.settings.divisions.values())
        if self.settings.exact_division is not None:
            known.add(self.settings.exact_division)
        return division is None or known == {division}
