"""Everything the demo runs, on one machine, in a directory of its own: ``DemoWorld``.

- the Exact sandbox in a thread on a free port (the demo client ``demo``/``demo``);
- a unique topology prefix (``demo<hex8>``) on the broker of ``HFEXACT_AMQP_URL``, declared at
  the start and deleted at the end (fresh names every run, so quorum queues are never
  re-declared under a name in use);
- the worker's store on SQLite, with tokens encrypted by a key made for the run;
- Exact connected through the real OAuth consent (the sandbox consents at once);
- the HostFact stand-in on SQLite with the bridge installed by ``bin/install.php``.

Each step is a method, so the demo and the end-to-end tests tell their own stories with the
same parts. ``close()`` removes everything (also after a failure); ``keep=True`` leaves the
directory for inspection.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import pika.exceptions
import requests
import structlog
from cryptography.fernet import Fernet

from hfexact import logs
from hfexact.amqp import topology
from hfexact.amqp.connection import connect
from hfexact.config import Settings
from hfexact.cpu import as_the_worker_command
from hfexact.demo_exact import DIVISION, ExactSide
from hfexact.demo_php import PHP_BRIDGE, RABBITMQ_HINT, DemoStepFailed, PhpHostFact, log_records
from hfexact.errors import BridgeError, ConfigError, TransientError
from hfexact.exact.login import login
from hfexact.payments.clients import ExactClients
from hfexact.payments.poller import Poller, PollReport
from hfexact.payments.publish import AmqpResultSink, ResultSink
from hfexact.payments.reconcile import ReconcileReport, reconcile
from hfexact.processing import build_processor
from hfexact.sandbox import RunningSandbox, start_sandbox
from hfexact.store import Binding, Store, open_configured_store
from hfexact.worker_loop import RunStats, Settled, Worker

INSTALLATION = "hf-demo"
#: short retry delays, so a direct-debit batch waiting for its invoices is retried quickly
RETRY_BASE_SECONDS = 0.25
RETRY_MAX_SECONDS = 4.0


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    invoices: int = 50
    #: the sandbox's fair-use limit a minute; None: enough for the demo's exports to leave the
    #: payment poller its share (Exact's default of 60 a minute would make the demo wait for
    #: the next minute several times; the rules stay the same)
    minutely: int | None = None
    daily: int = 100_000
    php_bridge: Path = PHP_BRIDGE
    keep: bool = False
    today: str | None = None


class DemoWorld:
    def __init__(self, base: Settings, config: DemoConfig = DemoConfig()) -> None:
        self.base = base
        self.config = config
        self.directory = Path(tempfile.mkdtemp(prefix="hfexact-demo-"))
        self.prefix = f"demo{secrets.token_hex(4)}"
        self.ladder = topology.retry_ladder_ms(RETRY_BASE_SECONDS, RETRY_MAX_SECONDS)
        self.sandbox: RunningSandbox | None = None
        self.store: Store | None = None
        self.php: PhpHostFact | None = None
        self._declared = False
        self._log_file: TextIO | None = None
        self._saved_logging: dict[str, Any] | None = None
        self.settings = base

    @property
    def minutely(self) -> int:
        """The exports take about one call per record plus master data; the poller may use
        its share (10 %) only while more than the rest of the minute is left, so the limit is
        made ample for both within one minute."""
        if self.config.minutely is not None:
            return self.config.minutely
        return max(1000, 20 * (self.config.invoices + 60))

    # -- setting up ------------------------------------------------------------------------
    def check_broker(self) -> None:
        """Fail early, in words, when RabbitMQ cannot be reached."""
        try:
            connection = connect(self.base.amqp_url, name="hfexact demo")
        except TransientError as exc:
            raise DemoStepFailed(f"RabbitMQ is not reachable: {exc}; {RABBITMQ_HINT}") from exc
        except ConfigError as exc:
            raise DemoStepFailed("RabbitMQ refused the demo: " + "; ".join(exc.problems)
                                 + " (check the user and vhost in HFEXACT_AMQP_URL)") from exc
        with contextlib.suppress(pika.exceptions.AMQPError):
            connection.close()

    def start_sandbox(self) -> str:
        self.sandbox = start_sandbox("127.0.0.1", 0, divisions=[DIVISION],
                                     minutely=self.minutely, daily=self.config.daily)
        base_url = self.sandbox.base_url
        self.settings = dataclasses.replace(
            self.base,
            amqp_prefix=self.prefix,
            store_url=f"sqlite:///{self.directory / 'hfexact.sqlite3'}",
            exact_base_url=base_url,
            exact_client_id="demo",
            exact_client_secret="demo",  # noqa: S106 - the sandbox's published demo client
            exact_redirect_uri="http://127.0.0.1:0/callback",
            exact_division=DIVISION,
            divisions={},
            installation=INSTALLATION,
            retry_base_seconds=RETRY_BASE_SECONDS,
            retry_max_seconds=RETRY_MAX_SECONDS,
            max_attempts=8,
            secret_key=Fernet.generate_key().decode("ascii"),
            secret_key_file=None,
            http_timeout_seconds=10.0,
        )
        return base_url

    def capture_logs(self) -> Path:
        """The worker's structured logs go to a file in the demo's directory, not the screen."""
        path = self.directory / "hfexact.log"
        self._saved_logging = structlog.get_config()
        self._log_file = path.open("a", encoding="utf-8")
        logs.configure("json", "info", stream=self._log_file)
        return path

    def declare_topology(self) -> topology.Topology:
        connection = self._connect()
        try:
            topo = topology.declare(connection.channel(), self.prefix,
                                    retry_delays_ms=self.ladder)
            self._declared = True
            return topo
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError):
                connection.close()

    def open_store(self) -> Store:
        self.store = open_configured_store(self.settings)
        return self.store

    def connect_exact(self) -> dict[str, Any]:
        """``hfexact auth login``: the consent page is opened by a plain GET (the sandbox
        consents at once and redirects to the login's listener)."""
        outcome = login(self.settings, self._store(), echo=lambda _text: None,
                        open_browser=False, timeout=30, division=DIVISION,
                        on_url=lambda url: requests.get(url, timeout=10).raise_for_status())
        return outcome.me

    def check_php(self) -> None:
        self._php().check()

    def install_hostfact(self) -> None:
        self._php().install()

    def start(self, step: Callable[[str], Any] | None = None) -> None:
        """Every setup step in order; ``step(label)`` is called before each."""
        announce = step or (lambda _label: None)
        announce("checking RabbitMQ and PHP")
        self.check_broker()
        self.check_php()
        announce("starting the Exact sandbox")
        self.start_sandbox()
        self.capture_logs()
        announce("declaring the topology")
        self.declare_topology()
        announce("opening the store")
        self.open_store()
        announce("connecting Exact (OAuth consent)")
        self.connect_exact()
        announce("installing the bridge into HostFact")
        self.install_hostfact()

    # -- the flow ----------------------------------------------------------------------------
    def hostfact(self) -> PhpHostFact:
        return self._php()

    def work(self, *, max_seconds: float = 120.0) -> RunStats:
        """``hfexact worker --burst``: until the queue and its retries are empty."""
        processor = build_processor(self.settings)
        store = processor.store

        def record(s: Settled) -> None:  # as `hfexact worker` does, for `hfexact status`
            store.record_outcome(s.event_id, s.event_type, s.outcome, s.hostfact_code,
                                 s.exact_id, s.duration_ms)

        worker = Worker(self.settings, processor, idle_seconds=0.2, on_settled=record)
        started = time.monotonic()
        try:
            with as_the_worker_command(self.settings.worker_cpu):
                stats = worker.run(burst=True)
        finally:
            processor.close()
        if time.monotonic() - started > max_seconds:
            raise DemoStepFailed(f"the worker needed more than {max_seconds:g} s")
        return stats

    def reconcile_payments(self) -> ReconcileReport:
        """``hfexact payments poll --reconcile``: every exported invoice against Exact."""
        clients = ExactClients(self.settings, self._store())
        try:
            return reconcile(self.settings, self._store(), clients)
        finally:
            clients.close()

    def poll_payments(self, sink: ResultSink | None = None) -> PollReport:
        """``hfexact payments poll``: one incremental poll, results confirmed before the cursor."""
        clients = ExactClients(self.settings, self._store())
        try:
            if sink is not None:
                return Poller(self.settings, self._store(), clients, sink).poll()
            with self.result_sink() as own:
                return Poller(self.settings, self._store(), clients, own).poll()
        finally:
            clients.close()

    @contextlib.contextmanager
    def result_sink(self) -> Iterator[AmqpResultSink]:
        connection = self._connect()
        try:
            yield AmqpResultSink(connection.channel(), self.prefix)
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError):
                connection.close()

    def apply_results(self, *, passes: int = 5) -> dict[str, int]:
        """``php bin/results.php --once`` until ``<P>.bridge.results`` is empty; the outcomes
        (applied, unchanged, duplicate, stored, kept) of all passes together."""
        queue = topology.Names(self.prefix).bridge_results
        outcomes: Counter[str] = Counter()
        for _ in range(passes):
            run = self.hostfact().results()
            for record in log_records(run.stderr, "results.pass_finished"):
                outcomes.update({str(k): int(v) for k, v in (record.get("outcomes") or {}).items()})
            if self.queue_depths([queue])[queue] == 0:
                return dict(outcomes)
        raise DemoStepFailed(f"results are still waiting in {queue} after {passes} passes of "
                             "bin/results.php")

    # -- Exact's side ----------------------------------------------------------------------
    @property
    def exact(self) -> ExactSide:
        """The sandbox's control API and what the accountant does in Exact."""
        return ExactSide(self._sandbox().base_url, self.settings, self._store())

    # -- what happened -------------------------------------------------------------------------
    def bindings(self, kind: str) -> list[Binding]:
        return list(self._store().list_bindings(INSTALLATION, kind))

    def queue_depths(self, names: Sequence[str] | None = None) -> dict[str, int]:
        n = topology.Names(self.prefix)
        wanted = list(names or (n.exact, n.exact_dead, n.bridge_results, n.bridge_results_dead))
        connection = self._connect()
        try:
            channel = connection.channel()
            return {name: int(channel.queue_declare(name, passive=True).method.message_count)
                    for name in wanted}
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError):
                connection.close()

    def dead_letters(self) -> int:
        n = topology.Names(self.prefix)
        return sum(self.queue_depths([n.exact_dead, n.bridge_results_dead]).values())

    def log_tail(self, lines: int = 5, level: str = '"level": "error"') -> list[str]:
        path = self.directory / "hfexact.log"
        if not path.exists():
            return []
        found = [line for line in path.read_text(encoding="utf-8").splitlines() if level in line]
        return found[-lines:]

    # -- tearing down ----------------------------------------------------------------------------
    def close(self) -> list[str]:
        """Remove everything the demo made; returns what could not be removed (in words)."""
        problems: list[str] = []
        if self.store is not None:
            with contextlib.suppress(Exception):
                self.store.close()
            self.store = None
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        if self._declared:
            try:
                self._delete_topology()
                self._declared = False
            except (BridgeError, pika.exceptions.AMQPError) as exc:
                problems.append(f"queues {self.prefix}.* were not deleted: {exc}")
        if self._log_file is not None:
            if self._saved_logging is not None:
                structlog.configure(**self._saved_logging)
            self._log_file.close()
            self._log_file = None
        if not self.config.keep:
            shutil.rmtree(self.directory, ignore_errors=True)
        return problems

    def __enter__(self) -> DemoWorld:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------------
    def _connect(self) -> Any:
        try:
            return connect(self.settings.amqp_url, name="hfexact demo")
        except TransientError as exc:
            raise DemoStepFailed(f"RabbitMQ is not reachable: {exc}; {RABBITMQ_HINT}") from exc

    def _delete_topology(self) -> None:
        plan = topology.plan(self.prefix, self.ladder)
        connection = self._connect()
        try:
            channel = connection.channel()
            topology.delete(channel, plan)
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError):
                connection.close()

    def _php(self) -> PhpHostFact:
        if self.php is None:
            self.php = PhpHostFact(self.directory, amqp_url=self.settings.amqp_url,
                                   prefix=self.prefix, installation=INSTALLATION,
                                   bridge_dir=self.config.php_bridge)
        return self.php

    def _store(self) -> Store:
        if self.store is None:
            raise DemoStepFailed("the store is not open yet (call open_store first)")
        return self.store

    def _sandbox(self) -> RunningSandbox:
        if self.sandbox is None:
            raise DemoStepFailed("the sandbox is not running (call start_sandbox first)")
        return self.sandbox
