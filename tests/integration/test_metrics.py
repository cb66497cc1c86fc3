"""The metrics endpoint and /healthz, scraped from a real worker on the real broker and sandbox.

The scraped text is parsed with prometheus_client's own parser, as Prometheus would read it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pika
import pytest
import requests
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from tests.fixtures.exact import sandbox_login
from tests.fixtures.sandbox import (  # noqa: F401 - fixtures sandbox and sandbox_server
    DIVISION,
    SandboxControl,
    sandbox_fixture,
    sandbox_server_fixture,
)

from hfexact.cli import cli
from hfexact.config import Settings
from hfexact.health import Health, TelemetryServer
from hfexact.metrics import BridgeMetrics, Telemetry
from hfexact.processing import build_processor
from hfexact.store import open_store
from hfexact.worker_loop import Worker

if TYPE_CHECKING:
    from tests.integration.amqp_fixtures import AmqpProbe, AmqpVhost

pytest_plugins = ("tests.integration.amqp_fixtures",)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schemas" / "examples" / "valid"
HFEXACT = ROOT / ".venv" / "bin" / "hfexact"


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """name + sorted labels -> value, for every sample of /metrics."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def health(port: int) -> tuple[int, dict[str, Any]]:
    response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    return response.status_code, response.json()


def example(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / path).read_text())
    return loaded


@pytest.fixture
def settings(amqp_settings: Settings, sandbox: SandboxControl, tmp_path: Path) -> Settings:
    values = dataclasses.replace(
        amqp_settings, store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        exact_base_url=sandbox.base_url, exact_client_id="demo", exact_client_secret="demo",
        exact_redirect_uri="http://127.0.0.1:0/callback", exact_division=DIVISION,
        http_timeout_seconds=5.0)
    store = open_store(values.store_url)
    sandbox_login(values, store, sandbox)
    store.close()
    return values


def env_of(settings: Settings) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HFEXACT_CONFIG": "",
        "HFEXACT_AMQP_URL": settings.amqp_url, "HFEXACT_AMQP_PREFIX": settings.amqp_prefix,
        "HFEXACT_RETRY_BASE_SECONDS": "0.05", "HFEXACT_RETRY_MAX_SECONDS": "0.4",
        "HFEXACT_MAX_ATTEMPTS": "3", "HFEXACT_STORE_URL": settings.store_url,
        "HFEXACT_EXACT_BASE_URL": settings.exact_base_url, "HFEXACT_EXACT_CLIENT_ID": "demo",
        "HFEXACT_EXACT_CLIENT_SECRET": "demo",
        "HFEXACT_EXACT_REDIRECT_URI": "http://127.0.0.1:0/callback",
        "HFEXACT_EXACT_DIVISION": str(DIVISION), "HFEXACT_LOG_FORMAT": "json",
    }


class TestWorkerMetrics:
    @pytest.fixture
    def running(self, settings: Settings, amqp_probe: AmqpProbe
                ) -> Iterator[tuple[Telemetry, Worker, AmqpProbe]]:
        """A worker (not burst) in a thread with metrics on a free port; stopped after."""
        amqp_probe.declare(settings)
        for path in ("settings.changed/design-defaults.json",
                     "debtor.upserted/dutch-bv-with-vat-and-kvk.json"):
            event = example(path)
            amqp_probe.publish_event(event["type"], event, message_id=event["id"])
        amqp_probe.publish_event("invoice.issued", {"not": "an event"})
        processor = build_processor(settings)
        telemetry = Telemetry.for_worker(settings, processor, host="127.0.0.1", port=0)
        telemetry.health.pulse_seconds = 0.1
        telemetry.state.cache_seconds = 0.0
        worker = Worker(settings, processor, idle_seconds=0.2,
                        on_settled=telemetry.on_settled(lambda _s: None),
                        connect=telemetry.health.wrap_connect(
                            lambda: pika.BlockingConnection(pika.URLParameters(
                                settings.amqp_url))))
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        yield telemetry, worker, amqp_probe
        worker.request_stop()
        thread.join(10)
        telemetry.stop()
        processor.close()

    def test_scraped_metrics_after_a_few_events(
        self, running: tuple[Telemetry, Worker, AmqpProbe]
    ) -> None:
        """Events by type and outcome, dead letters, Exact calls, budget, token, lag."""
        telemetry, _worker, probe = running
        port = telemetry.server.port
        deadline = time.monotonic() + 20
        while telemetry.metrics.registry.get_sample_value(
                "hfexact_events_processed_total", {"type": "debtor.upserted", "outcome": "done"}
        ) != 1.0:
            assert time.monotonic() < deadline, "the worker did not settle the three events"
            time.sleep(0.1)
        probe.wait_depth(probe.names.exact_dead, 1)
        samples = scrape(port)
        done = "hfexact_events_processed_total"
        assert value(samples, done, type="settings.changed", outcome="done") == 1.0
        assert value(samples, done, type="debtor.upserted", outcome="done") == 1.0
        assert value(samples, done, type="invoice.issued", outcome="dead_lettered") == 1.0
        assert value(samples, "hfexact_dead_letters_total", type="invoice.issued") == 1.0
        assert value(samples, "hfexact_dead_letters_waiting") == 1.0
        assert value(samples, "hfexact_queue_messages", queue="exact") == 0.0
        assert value(samples, "hfexact_queue_lag_seconds") == 0.0
        calls = {labels: v for (name, labels), v in samples.items()
                 if name == "hfexact_exact_calls_total"}
        divisions = {dict(labels)["division"] for labels in calls}
        assert divisions == {str(DIVISION)}
        posted = [v for labels, v in calls.items()
                  if dict(labels)["endpoint"] == "crm/Accounts"
                  and dict(labels)["method"] == "POST" and dict(labels)["status"] == "201"]
        assert posted == [1.0]
        assert all("guid" not in dict(labels)["endpoint"] for labels in calls)
        budget = "hfexact_rate_budget_remaining"
        minute = value(samples, budget, division=str(DIVISION), window="minute")
        day = value(samples, budget, division=str(DIVISION), window="day")
        assert minute is not None
        assert 0 < minute < 60
        assert day is not None
        assert 0 < day < 5000
        assert value(samples, "hfexact_rate_budget_limit", division=str(DIVISION),
                     window="day") == 5000.0
        expires = value(samples, "hfexact_token_expires_in_seconds")
        assert expires is not None
        assert 0 < expires <= 600
        assert value(samples, "hfexact_state_readable", part="broker") == 1.0
        assert value(samples, "hfexact_state_readable", part="store") == 1.0
        count = value(samples, "hfexact_event_duration_seconds_count", type="debtor.upserted")
        assert count == 1.0

    def test_health_is_200_while_consuming_and_503_after_the_connection_closed(
        self, running: tuple[Telemetry, Worker, AmqpProbe], amqp_vhost: AmqpVhost
    ) -> None:
        """The supervisor's view: healthy while the loop turns, unhealthy once it is gone."""
        telemetry, worker, _probe = running
        port = telemetry.server.port
        deadline = time.monotonic() + 10
        while health(port)[0] != 200:
            assert time.monotonic() < deadline, health(port)
            time.sleep(0.1)
        _status, body = health(port)
        assert body["checks"]["rabbitmq"] == "connected"
        worker.request_stop()
        deadline = time.monotonic() + 10
        while health(port)[0] != 503:
            assert time.monotonic() < deadline, health(port)
            time.sleep(0.1)
        assert health(port)[1]["checks"]["rabbitmq"] == "not connected"


class TestHealth:
    def test_a_connection_nobody_serves_is_unhealthy(self, amqp_vhost: AmqpVhost) -> None:
        """Open but not served (a wedged loop): the pulse's callbacks never run -> 503."""
        connection = pika.BlockingConnection(pika.URLParameters(amqp_vhost.url()))
        checker = Health(needs_connection=True, max_tick_age=0.6, pulse_seconds=0.1)
        checker.watch(connection)
        checker.start_pulse()
        server = TelemetryServer(BridgeMetrics().registry, checker).start()
        try:
            assert health(server.port)[0] == 200  # just watched: one tick
            connection.process_data_events(time_limit=0.3)  # served: the pulse ticks
            assert health(server.port)[0] == 200
            time.sleep(1.0)  # nobody serves the connection now
            status, body = health(server.port)
            assert status == 503
            assert body["checks"]["rabbitmq"] == "connected"
            assert body["checks"]["loop"].startswith("no turn for")
        finally:
            checker.stop()
            server.stop()
            connection.close()

    def test_unknown_path_and_start_up(self) -> None:
        """Before the first tick the process is not healthy; other paths are 404."""
        checker = Health(needs_connection=False, max_tick_age=5)
        server = TelemetryServer(BridgeMetrics().registry, checker).start()
        try:
            assert health(server.port) == (503, {"status": "unhealthy",
                                                  "checks": {"loop": "not started yet"}})
            checker.tick()
            assert health(server.port)[0] == 200
            assert requests.get(f"http://127.0.0.1:{server.port}/x", timeout=5).status_code \
                == 404
        finally:
            server.stop()


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    """Start ``hfexact ARGS`` and read the metrics port from its ``metrics.serving`` line;
    the rest of its output is drained in a thread so a chatty process never blocks."""
    proc = subprocess.Popen([str(HFEXACT), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 20
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if '"metrics.serving"' in line:
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return proc, int(json.loads(line)["port"])
    proc.kill()
    proc.wait()
    proc.stderr.close()
    raise AssertionError(f"no metrics.serving line; exit {proc.returncode}: {''.join(seen)}")


def _allowed_cpus(pid: int, task: str) -> str:
    """The CPUs a thread may run on, as /proc lists them (e.g. ``1`` or ``0-1``)."""
    status = Path(f"/proc/{pid}/task/{task}/status").read_text(encoding="ascii")
    return next(line.split(":", 1)[1].strip() for line in status.splitlines()
                if line.startswith("Cpus_allowed_list:"))


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


class TestCommands:
    def test_worker_metrics_port(self, settings: Settings, amqp_probe: AmqpProbe) -> None:
        """`hfexact worker --metrics-port 0`: the port is logged; /healthz and /metrics answer."""
        amqp_probe.declare(settings)
        proc, port = _start(["worker", "--metrics-port", "0"], env_of(settings))
        try:
            deadline = time.monotonic() + 15
            while health(port)[0] != 200:
                assert time.monotonic() < deadline, health(port)
                time.sleep(0.2)
            samples = scrape(port)
            assert value(samples, "hfexact_queue_consumers", queue="exact") == 1.0
            # HFEXACT_WORKER_CPU=auto: every thread (lanes, metrics server) on the same one CPU
            cpus = {_allowed_cpus(proc.pid, task) for task in os.listdir(f"/proc/{proc.pid}/task")}
            assert len(cpus) == 1, cpus
            assert cpus.pop() in {str(c) for c in os.sched_getaffinity(0)}
        finally:
            assert _stop(proc) == 0

    def test_payments_watch_metrics_port(self, settings: Settings,
                                         amqp_probe: AmqpProbe) -> None:
        """`payments poll --watch --metrics-port 0`: poll rounds counted, healthy after one."""
        amqp_probe.declare(settings)
        proc, port = _start(["payments", "poll", "--watch", "1", "--metrics-port", "0"],
                            env_of(settings))
        try:
            deadline = time.monotonic() + 15
            while not (value(scrape(port), "hfexact_payment_polls_total", outcome="ok")
                       or 0) >= 1:
                assert time.monotonic() < deadline, scrape(port)
                time.sleep(0.2)
            assert health(port)[0] == 200
        finally:
            assert _stop(proc) == 0

    def test_metrics_port_needs_watch(self, settings: Settings) -> None:
        """A single poll ends at once: serving metrics for it is a usage error."""
        result = CliRunner().invoke(cli, ["payments", "poll", "--metrics-port", "0"],
                                    env=env_of(settings))
        assert result.exit_code == 2
        assert "--metrics-port needs --watch" in result.output
