"""Prometheus metrics of a worker or payment-poller process (prometheus_client).

Counted as things happen (fed by ``Worker(on_settled=...)`` and ``ExactClient.observer``):

=========================================  ====================================================
``hfexact_events_processed_total``         events settled, by ``type`` and ``outcome`` (done,
                                           duplicate, ignored, retry_scheduled, rate_limited,
                                           dead_lettered, crashed, requeued)
``hfexact_event_duration_seconds``         time per settled event, by ``type`` (histogram)
``hfexact_dead_letters_total``             events this process dead-lettered, by ``type``
``hfexact_exact_calls_total``              REST calls to Exact by ``division``, ``endpoint``,
                                           ``method`` and ``status`` (``none``: no answer)
``hfexact_exact_call_duration_seconds``    time per Exact call, by ``method`` and ``endpoint``
``hfexact_payment_polls_total``            poll rounds of ``payments poll --watch``, by
                                           ``outcome`` (ok, failed)
``hfexact_payment_results_total``          payment results published, by ``type``
=========================================  ====================================================

Read at scrape time (cached for ``cache_seconds``, shared by every process on the store and
broker, so any one of them shows the installation's state):

=========================================  ====================================================
``hfexact_queue_messages``                 messages in each queue (``queue``: exact, retry,
                                           dead_letters, bridge_results, bridge_results_dead)
``hfexact_queue_consumers``                consumers of each queue
``hfexact_dead_letters_waiting``           messages in ``<P>.exact.dead``
``hfexact_queue_lag_seconds``              time since the last settled event while events wait
                                           in ``<P>.exact``; 0 when none wait
``hfexact_rate_budget_remaining``          Exact calls left per ``division`` and ``window``
                                           (minute, day), as Exact last reported
``hfexact_rate_budget_limit``              the limit of that window
``hfexact_token_expires_in_seconds``       until the access token expires (negative: expired;
                                           it is refreshed on next use)
``hfexact_state_readable``                 1 when the ``part`` (broker, store) could be read
=========================================  ====================================================
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hfexact.config import Settings
from hfexact.exact.client import ExactCall, ExactClient
from hfexact.health import Health, TelemetryServer
from hfexact.logs import get_logger
from hfexact.status_cli import open_store_for_status, queue_depths, queue_lag, read_store
from hfexact.worker_loop import Settled

DEAD = ("dead_lettered", "crashed")
EVENT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

log = get_logger("hfexact.metrics")


class BridgeMetrics:
    """The counters of one process, in a registry of their own (tests get fresh ones)."""

    def __init__(self, registry: CollectorRegistry | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.registry = registry or CollectorRegistry()
        self._clock = clock
        self.started_at = clock()
        #: epoch seconds of the last event this process settled
        self.last_settled_at: float | None = None
        self.events = Counter("hfexact_events_processed", "Events settled by the worker",
                              ["type", "outcome"], registry=self.registry)
        self.event_seconds = Histogram("hfexact_event_duration_seconds",
                                       "Time to settle one event", ["type"],
                                       buckets=EVENT_BUCKETS, registry=self.registry)
        self.dead_letters = Counter("hfexact_dead_letters", "Events this process dead-lettered",
                                    ["type"], registry=self.registry)
        self.exact_calls = Counter("hfexact_exact_calls", "REST calls to Exact Online",
                                   ["division", "endpoint", "method", "status"],
                                   registry=self.registry)
        self.exact_seconds = Histogram("hfexact_exact_call_duration_seconds",
                                       "Time per REST call to Exact", ["method", "endpoint"],
                                       buckets=CALL_BUCKETS, registry=self.registry)

        self.polls = Counter("hfexact_payment_polls", "Poll rounds of the payment poller",
                             ["outcome"], registry=self.registry)
        self.payment_results = Counter("hfexact_payment_results",
                                       "Payment results published for HostFact", ["type"],
                                       registry=self.registry)

    def poll_round(self, *, failed: bool, report: Any = None) -> None:
        """One round of ``payments poll --watch`` ended (``report``: its ``PollReport``)."""
        self.polls.labels("failed" if failed else "ok").inc()
        for division in getattr(report, "divisions", ()):
            for result_type, n in division.results.items():
                self.payment_results.labels(result_type).inc(n)
        self.last_settled_at = self._clock()

    def settled(self, s: Settled) -> None:
        """``Worker(on_settled=...)``: one event ended."""
        self.last_settled_at = self._clock()
        self.events.labels(s.event_type, s.outcome).inc()
        self.event_seconds.labels(s.event_type).observe(max(0.0, s.duration_ms / 1000.0))
        if s.outcome in DEAD:
            self.dead_letters.labels(s.event_type).inc()

    def exact_call(self, call: ExactCall) -> None:
        """``ExactClient.observer``: one REST call answered (or failed without an answer)."""
        division = "" if call.division is None else str(call.division)
        status = "none" if call.status is None else str(call.status)
        self.exact_calls.labels(division, call.endpoint, call.method, status).inc()
        self.exact_seconds.labels(call.method, call.endpoint).observe(max(0.0, call.seconds))

    def watch_state(self, settings: Settings, store: Any = None, *,
                    cache_seconds: float = 5.0) -> StateCollector:
        """Add the scrape-time gauges (queues, budget, token, lag) to this registry."""
        collector = StateCollector(settings, store, self, cache_seconds=cache_seconds,
                                   clock=self._clock)
        self.registry.register(collector)
        return collector


class StateCollector(Collector):
    """Gauges read from the broker and the store when Prometheus scrapes (cached briefly)."""

    def __init__(self, settings: Settings, store: Any, metrics: BridgeMetrics, *,
                 cache_seconds: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, list[GaugeMetricFamily]] | None = None

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # unknown until read: do not collect at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self.cache_seconds:
                self._cached = (now, self._read())
            families = self._cached[1]
        yield from families

    def _read(self) -> list[GaugeMetricFamily]:
        problems: list[str] = []
        now = self._clock()
        queues = queue_depths(self.settings, problems)
        broker_ok = not problems
        state: dict[str, Any] = {}
        store = self.store
        own = store is None
        if own:
            store = open_store_for_status(self.settings, problems)
        store_ok = store is not None
        if store is not None:
            try:
                state = read_store(store, self.settings, now, [])
            except Exception as exc:  # noqa: BLE001 - a scrape must answer; report unreadable
                log.warning("metrics.store_unreadable", error=repr(exc))
                store_ok = False
            finally:
                if own:
                    store.close()
        if problems:
            log.info("metrics.partial_state", problems=problems)
        return self._families(queues, state, now, broker_ok=broker_ok, store_ok=store_ok)

    def _families(self, queues: dict[str, Any], state: dict[str, Any], now: float, *,
                  broker_ok: bool, store_ok: bool) -> list[GaugeMetricFamily]:
        readable = GaugeMetricFamily("hfexact_state_readable",
                                     "1 when the part could be read at this scrape",
                                     labels=["part"])
        readable.add_metric(["broker"], 1.0 if broker_ok else 0.0)
        readable.add_metric(["store"], 1.0 if store_ok else 0.0)
        out = [readable]
        if queues:
            messages = GaugeMetricFamily("hfexact_queue_messages", "Messages in the queue",
                                         labels=["queue"])
            consumers = GaugeMetricFamily("hfexact_queue_consumers", "Consumers of the queue",
                                          labels=["queue"])
            for key, value in queues.items():
                if value["messages"] >= 0:
                    messages.add_metric([key], float(value["messages"]))
                    consumers.add_metric([key], float(value["consumers"]))
            dead = queues.get("dead_letters", {}).get("messages", -1)
            out += [messages, consumers]
            if dead >= 0:
                out.append(GaugeMetricFamily("hfexact_dead_letters_waiting",
                                             "Messages in <P>.exact.dead", value=float(dead)))
            waiting = queues.get("exact", {}).get("messages", 0)
            last = max((t for t in (state.get("last_activity"), self.metrics.last_settled_at)
                        if t is not None), default=None)
            seconds = queue_lag(waiting, last, self.metrics.started_at, now)
            if seconds is not None:
                out.append(GaugeMetricFamily(
                    "hfexact_queue_lag_seconds",
                    "Seconds since the last settled event while events wait (0: none wait)",
                    value=float(seconds)))
        budgets = state.get("rate_budget") or {}
        if budgets:
            remaining = GaugeMetricFamily("hfexact_rate_budget_remaining",
                                          "Exact calls left in the window, as Exact reported",
                                          labels=["division", "window"])
            limit = GaugeMetricFamily("hfexact_rate_budget_limit", "Exact's limit of the window",
                                      labels=["division", "window"])
            for division, b in budgets.items():
                if b is None:
                    continue
                for window in ("minute", "day"):
                    if b[f"{window}_remaining"] is not None:
                        remaining.add_metric([division, window], float(b[f"{window}_remaining"]))
                    if b[f"{window}_limit"] is not None:
                        limit.add_metric([division, window], float(b[f"{window}_limit"]))
            out += [remaining, limit]
        token = state.get("token")
        if token is not None:
            out.append(GaugeMetricFamily("hfexact_token_expires_in_seconds",
                                         "Seconds until the Exact access token expires",
                                         value=float(token["expires_in"])))
        return out


class Telemetry:
    """Metrics, health and the server of one process, wired and started together."""

    def __init__(self, metrics: BridgeMetrics, state: StateCollector, health: Health,
                 server: TelemetryServer) -> None:
        self.metrics = metrics
        self.state = state
        self.health = health
        self.server = server

    @classmethod
    def start(cls, settings: Settings, *, store: Any, needs_connection: bool, host: str,
              port: int, max_tick_age: float = 30.0) -> Telemetry:
        metrics = BridgeMetrics()
        state = metrics.watch_state(settings, store)
        health = Health(needs_connection=needs_connection, max_tick_age=max_tick_age)
        server = TelemetryServer(metrics.registry, health, host=host, port=port).start()
        if needs_connection:
            health.start_pulse()
        return cls(metrics, state, health, server)

    @classmethod
    def for_worker(cls, settings: Settings, processor: Any, *, host: str,
                   port: int) -> Telemetry:
        """For ``hfexact worker``: the processor's store and Exact client are observed."""
        telemetry = cls.start(settings, store=processor.store, needs_connection=True, host=host,
                              port=port)
        telemetry.observe(processor.client)
        return telemetry

    def observe(self, client: Any) -> None:
        """Count the REST calls of this Exact client."""
        if isinstance(client, ExactClient):
            client.observer = self.metrics.exact_call

    def on_settled(self, then: Callable[[Settled], None]) -> Callable[[Settled], None]:
        """A ``Worker(on_settled=...)`` that counts the event, then calls ``then``."""
        def settled(s: Settled) -> None:
            self.metrics.settled(s)
            then(s)

        return settled

    def stop(self) -> None:
        self.health.stop()
        self.server.stop()
