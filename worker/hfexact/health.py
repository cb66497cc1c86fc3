"""``/healthz`` for the process supervisor, served with ``/metrics`` on one port.

:class:`Health` answers "is this process doing its job?":

- a consumer (``hfexact worker``) is healthy while its RabbitMQ connection is open **and** its
  loop turned recently. The loop's turns are seen without touching the loop: every
  ``pulse_seconds`` a thread asks the connection to run a callback with pika's one thread-safe
  call, ``add_callback_threadsafe``; the consumer's thread runs it the next time it serves
  the connection (while waiting for messages, between slices of a long Exact call, during a
  rate-limit pause). A wedged loop stops ticking, a lost connection is not open: 503.
- a poller (``hfexact payments poll --watch``) ticks after each poll round; it is healthy while
  the last tick is younger than ``max_tick_age``.

:class:`TelemetryServer` is a small threaded WSGI server (the standard library's wsgiref, the
way prometheus_client serves itself) for ``GET /metrics`` (prometheus_client's exposition) and
``GET /healthz`` (200 or 503, JSON with each check and the reason).
"""

from __future__ import annotations

import contextlib
import json
import socketserver
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from hfexact.logs import get_logger

log = get_logger("hfexact.health")

StartResponse = Callable[..., Any]


class Health:
    """Ticks and the connection of one process; :meth:`check` gives the verdict."""

    def __init__(self, *, needs_connection: bool, max_tick_age: float = 30.0,
                 pulse_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.needs_connection = needs_connection
        self.max_tick_age = max_tick_age
        self.pulse_seconds = pulse_seconds
        self._clock = clock
        self._last_tick: float | None = None
        self._connection: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- inputs --------------------------------------------------------------------------------
    def tick(self) -> None:
        """The loop turned (called on the loop's own thread)."""
        self._last_tick = self._clock()

    def watch(self, connection: Any) -> Any:
        """Follow this consumer connection (returns it, to wrap a ``connect`` function)."""
        self._connection = connection
        self.tick()
        return connection

    def wrap_connect(self, connect: Callable[[], Any]) -> Callable[[], Any]:
        return lambda: self.watch(connect())

    # -- the pulse -----------------------------------------------------------------------------
    def start_pulse(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._pulse, name="hfexact-health",
                                            daemon=True)
            self._thread.start()

    def _pulse(self) -> None:
        while not self._stop.wait(self.pulse_seconds):
            connection = self._connection
            if connection is None or not _is_open(connection):
                continue
            with contextlib.suppress(Exception):  # closed meanwhile: the check sees it
                connection.add_callback_threadsafe(self.tick)

    def stop(self) -> None:
        self._stop.set()

    # -- the verdict ---------------------------------------------------------------------------
    def check(self) -> tuple[bool, dict[str, Any]]:
        checks: dict[str, Any] = {}
        ok = True
        if self.needs_connection:
            connected = self._connection is not None and _is_open(self._connection)
            checks["rabbitmq"] = "connected" if connected else "not connected"
            ok = ok and connected
        if self._last_tick is None:
            checks["loop"] = "not started yet"
            ok = False
        else:
            age = self._clock() - self._last_tick
            fresh = age <= self.max_tick_age
            checks["loop"] = (f"last turn {age:.1f} s ago" if fresh else
                              f"no turn for {age:.0f} s (limit {self.max_tick_age:g} s)")
            ok = ok and fresh
        return ok, checks


def _is_open(connection: Any) -> bool:
    try:
        return bool(connection.is_open)
    except Exception:  # noqa: BLE001 - a broken connection object is not open
        return False


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every 15 s are not worth a log line each."""


def telemetry_app(registry: CollectorRegistry, health: Health | None) -> Callable[..., Any]:
    """WSGI: ``/metrics`` (and ``/``) from the registry, ``/healthz`` from ``health``."""
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path in ("/healthz", "/health"):
            ok, checks = (True, {}) if health is None else health.check()
            body = json.dumps({"status": "ok" if ok else "unhealthy", "checks": checks})
            start_response("200 OK" if ok else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
            return [body.encode() + b"\n"]
        if path in ("/metrics", "/"):
            result: Iterable[bytes] = metrics_app(environ, start_response)
            return result
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics or /healthz\n"]

    return app


class TelemetryServer:
    """``/metrics`` and ``/healthz`` on ``host:port`` (0: a free port) in a daemon thread."""

    def __init__(self, registry: CollectorRegistry, health: Health | None, *,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = make_server(host, port, telemetry_app(registry, health),
                                  server_class=_Server, handler_class=_QuietHandler)
        self.host = host
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, name="hfexact-metrics",
                                        daemon=True)

    def start(self) -> TelemetryServer:
        self._thread.start()
        log.info("metrics.serving", host=self.host, port=self.port,
                 url=f"http://{self.host}:{self.port}/metrics", health="/healthz")
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
