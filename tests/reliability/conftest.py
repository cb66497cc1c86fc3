"""Fixtures of the reliability suite and its count report.

- ``sandbox`` (session): the Exact sandbox in a child process (``spawn_sandbox``) with both
  divisions and an OAuth client of this suite whose secret is random per session (so the log
  check can look for it), limits off unless a test sets them; reset before every test.
- ``suite_broker`` (session): the RabbitMQ the scenarios use. By default a private node of
  this suite (``private_broker.PrivateBroker``, booted once, ~7 s): the scenarios declare and
  delete hundreds of quorum queues and run dozens of worker processes, and must neither load
  the machine's shared broker nor be slowed by what other test runs do to it. Its user is the
  least-privilege user of the test vhost's form (objects ``t<hex8>.*`` only).
  ``HFEXACT_RELIABILITY_BROKER=shared`` uses the machine's broker and its shared test vhost.
- ``make_rig(store=..., amqp_url=..., admin_url=...)``: a ``Rig`` per scenario: a fresh prefix
  (its queues deleted after the test), a fresh PostgreSQL schema or SQLite file, a Fernet key,
  tokens from the sandbox's consent, a log directory.
- the terminal summary prints one count line per scenario and writes
  ``tests/reliability/last_run.json``.
- ``HFEXACT_SOAK=1`` makes the workloads larger (see ``soak()``).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hfexact.sandbox.server import SandboxProcess, spawn_sandbox
from hfexact.store import generate_key
from tests.fixtures.store import new_pg_schema_url, pg_database_fixture
from tests.integration.amqp_fixtures import (
    TEST_PREFIX_PATTERN,
    AmqpTracker,
    ensure_test_vhost,
    fresh_prefix,
    rabbitmqctl,
)
from tests.reliability import report
from tests.reliability.harness import CLIENT_ID, Rig, Sandbox
from tests.reliability.logcheck import assert_logs_clean
from tests.reliability.private_broker import PrivateBroker

__all__ = ["pg_database_fixture"]

SOAK = os.environ.get("HFEXACT_SOAK") == "1"


def soak(normal: int, long: int) -> int:
    """``long`` under HFEXACT_SOAK=1, else ``normal``."""
    return long if SOAK else normal


@pytest.fixture(scope="session")
def client_secret() -> str:
    return "hfx-secret-" + secrets.token_urlsafe(18)


@pytest.fixture(scope="session")
def sandbox_process(client_secret: str) -> Iterator[SandboxProcess]:
    process = spawn_sandbox(args=(
        "--division", "123456", "--division", "234567",
        "--client", f"{CLIENT_ID}:{client_secret}",
        "--minutely", "1000000", "--daily", "10000000",
    ))
    yield process
    process.stop()


@pytest.fixture
def sandbox(sandbox_process: SandboxProcess) -> Sandbox:
    control = Sandbox(sandbox_process.base_url)
    control.reset()
    return control


@dataclass(frozen=True)
class SuiteBroker:
    url: str
    admin_url: str
    vhost: str
    node: PrivateBroker | None  # None: the machine's shared broker

    def unacked(self, prefix: str) -> dict[str, int]:
        """Unacknowledged deliveries per queue of ``prefix`` (``rabbitmqctl list_queues``)."""
        args = ("list_queues", "-p", self.vhost, "name", "messages_unacknowledged",
                "--no-table-headers", "-q")
        out = self.node.ctl(*args) if self.node is not None else rabbitmqctl(*args)
        counts: dict[str, int] = {}
        for line in out.splitlines():
            name, _, count = line.partition("\t")
            if name.startswith(prefix + "."):
                counts[name] = int(count)
        return counts


@pytest.fixture(scope="session")
def suite_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteBroker]:
    if os.environ.get("HFEXACT_RELIABILITY_BROKER") == "shared":
        vhost = ensure_test_vhost()
        yield SuiteBroker(vhost.url(), vhost.admin_url, vhost.name, None)
        return
    # 16 MiB: scenario 5's 10 MiB body must reach the worker's own size check
    node = PrivateBroker(tmp_path_factory.mktemp("suite-rabbit"), "suite",
                         pattern=TEST_PREFIX_PATTERN, max_message_size=16 * 1024 * 1024)
    node.start(timeout=30)
    try:
        yield SuiteBroker(node.url(), node.url(), node.vhost, node)
    finally:
        node.close()


@pytest.fixture(scope="session")
def log_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reliability-logs")


@pytest.fixture
def make_rig(
    request: pytest.FixtureRequest,
    sandbox: Sandbox,
    suite_broker: SuiteBroker,
    log_root: Path,
    tmp_path: Path,
    client_secret: str,
) -> Iterator[Callable[..., Rig]]:
    rigs: list[Rig] = []
    tracker = AmqpTracker(suite_broker.admin_url)

    def make(*, store: str = "postgresql", amqp_url: str | None = None,
             admin_url: str | None = None, login: bool = True, prefix: str | None = None,
             **kw: Any) -> Rig:
        prefix = prefix or fresh_prefix()
        if amqp_url is None:
            tracker.topology(prefix, _ladder(kw))
        if store == "postgresql":
            store_url = new_pg_schema_url(request.getfixturevalue("pg_database"))
        else:
            store_url = f"sqlite:///{tmp_path / f'store-{prefix}.sqlite3'}"
        log_dir = log_root / f"{request.node.name}-{prefix}"
        log_dir.mkdir(parents=True)
        rig = Rig(sandbox=sandbox, amqp_url=amqp_url or suite_broker.url,
                  admin_url=admin_url or suite_broker.admin_url, prefix=prefix,
                  store_url=store_url, secret_key=generate_key().decode(),
                  client_secret=client_secret, log_dir=log_dir, **kw)
        rig.declare()
        if login:
            rig.login()
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.stop_all()
    tracker.cleanup()
    for rig in rigs:
        assert_logs_clean(rig)


def _ladder(kw: dict[str, Any]) -> tuple[int, ...]:
    from hfexact.amqp import topology

    return topology.retry_ladder_ms(kw.get("retry_base", 0.2), kw.get("retry_max", 2.0))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not report.RESULTS:
        return
    duration = time.time() - report.STARTED
    report.write(duration)
    terminalreporter.section("reliability: end state per scenario")
    for scenario, counts in sorted(report.RESULTS.items()):
        terminalreporter.write_line(report.line(scenario, counts))
    terminalreporter.write_line(f"suite time {duration:.0f} s; written to {report.LAST_RUN}")
