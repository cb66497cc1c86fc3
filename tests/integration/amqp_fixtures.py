"""Reusable fixtures for tests on the real RabbitMQ of this machine.

Load them as a plugin in your test module: ``pytest_plugins = ("tests.integration.amqp_fixtures",)``
(or import the ones you use into a conftest.py).

- ``amqp_vhost`` (session): the test vhost ``hfexact-test`` with a least-privilege user that may
  touch only objects named ``t<hex8>.*`` (the form of ``hfexact.amqp.topology.permissions``),
  and guest as the administrator; created once per machine with ``rabbitmqctl`` (never per
  session: concurrent vhost creation and deletion wedged RabbitMQ 3.10 here).
- ``amqp_prefix``: a fresh topology prefix ``t<hex8>`` per test; everything declared under it
  through ``amqp_probe`` (and the standard topology) is deleted after the test.
- ``amqp_settings``: ``Settings`` for that prefix and the least-privilege user, with short
  retry delays (50 ms doubling to 400 ms) and 3 attempts.
- ``amqp_probe``: an administrator's connection to publish events, read queues and wait.
- ``tls_files`` / ``tls_front``: a self-signed CA with a server certificate for localhost and
  127.0.0.1, and a TLS front on a free port that forwards to the broker (amqps:// tests).
- ``RecordingProcessor``: a real Processor for loop tests; the event body says what it does
  (``{"do": "permanent"}``, ``"transient"``, ``"rate_limited"``, ``"crash"``, ``"auth"``,
  ``"sleep"``, ``"rejected"``, ``"fixable"``); effects are recorded once per message id, as the real
  processor's bindings do, so redeliveries and replays show up as ``duplicate``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import ipaddress
import json
import select
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pika
import pika.exceptions
import pytest

from hfexact.amqp import topology
from hfexact.config import Settings
from hfexact.errors import (
    AuthorizationLost,
    ContractError,
    ExactRejected,
    RateLimited,
    TransientError,
)
from hfexact.processing_types import MessageMeta, Outcome, ResultMessage

HOST = "127.0.0.1:5672"
TEST_PREFIX_PATTERN = r"^t[0-9a-f]{8}\..*$"
#: retry delays of ``amqp_settings``: 50 ms doubling to 400 ms
TEST_LADDER = topology.retry_ladder_ms(0.05, 0.4)


@dataclass(frozen=True)
class AmqpVhost:
    name: str
    user: str
    password: str

    def url(self, user: str | None = None, password: str | None = None, query: str = "") -> str:
        u, p = (user, password) if user else (self.user, self.password)
        creds = f"{quote(u, safe='')}:{quote(p or '', safe='')}"
        return f"amqp://{creds}@{HOST}/{quote(self.name, safe='')}" + (f"?{query}" if query else "")

    @property
    def admin_url(self) -> str:
        return self.url("guest", "guest")

    def close_connections_of(self, user: str) -> int:
        """Have the broker close every connection of ``user`` (a dropped network, seen from
        the client); returns how many it closed."""
        out = rabbitmqctl("list_connections", "pid", "user", "vhost", "--no-table-headers")
        closed = 0
        for line in out.splitlines():
            pid, who, vhost = line.split("\t")
            if who == user and vhost == self.name:
                rabbitmqctl("close_connection", pid, "closed by a test")
                closed += 1
        return closed


def rabbitmqctl(*args: str) -> str:
    result = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True,
                            timeout=60, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


TEST_VHOST = "hfexact-test"
TEST_USER = "hfexact-test"
#: a local test user limited to the test vhost's ``t<hex8>.*`` objects; not a secret
TEST_PASSWORD = "hfexact-test-only"
LOCK_FILE = Path(tempfile.gettempdir()) / "hfexact-test-vhost.lock"


def _usable(vhost: AmqpVhost) -> bool:
    for url in (vhost.url(), vhost.admin_url):
        try:
            pika.BlockingConnection(pika.URLParameters(url)).close()
        except pika.exceptions.AMQPConnectionError:
            return False
    return True


def ensure_test_vhost() -> AmqpVhost:
    """The shared test vhost and its least-privilege user, created once per machine.

    Never created and deleted per session: RabbitMQ 3.10 wedged (file_handle_cache) when test
    sessions added and deleted vhosts concurrently on this machine. A file lock serializes the
    one-time set-up between concurrent sessions.
    """
    vhost = AmqpVhost(TEST_VHOST, TEST_USER, TEST_PASSWORD)
    if _usable(vhost):
        return vhost
    with LOCK_FILE.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _usable(vhost):
            if TEST_VHOST not in rabbitmqctl("list_vhosts").split():
                rabbitmqctl("add_vhost", TEST_VHOST)
            rabbitmqctl("set_permissions", "-p", TEST_VHOST, "guest", ".*", ".*", ".*")
            if TEST_USER in rabbitmqctl("list_users").split():
                rabbitmqctl("change_password", TEST_USER, TEST_PASSWORD)
            else:
                rabbitmqctl("add_user", TEST_USER, TEST_PASSWORD)
            rabbitmqctl("set_permissions", "-p", TEST_VHOST, TEST_USER,
                        TEST_PREFIX_PATTERN, TEST_PREFIX_PATTERN, TEST_PREFIX_PATTERN)
    assert _usable(vhost), "the test vhost is still not usable after set-up"
    return vhost


@pytest.fixture(scope="session")
def amqp_vhost() -> AmqpVhost:
    return ensure_test_vhost()


class AmqpTracker:
    """What a test declared, deleted after it (quorum queues too: their names are fresh uuids
    never declared again, so the 3.10 delete-and-redeclare hazard does not apply, and leaving
    them would pile up hundreds of Raft groups per run in the shared vhost)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.queues: dict[str, None] = {}
        self.exchanges: dict[str, None] = {}

    def topology(self, prefix: str, ladder: Iterable[int] = TEST_LADDER) -> None:
        plan = topology.plan(prefix, tuple(ladder))
        self.queues.update(dict.fromkeys(q.name for q in plan.queues))
        self.exchanges.update(dict.fromkeys(e.name for e in plan.exchanges))

    def queue(self, name: str) -> None:
        self.queues[name] = None

    def cleanup(self) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.admin_url))
        try:
            channel = connection.channel()
            for name in self.queues:
                try:
                    channel.queue_delete(name)
                except pika.exceptions.ChannelClosedByBroker:
                    channel = connection.channel()
            for name in self.exchanges:
                try:
                    channel.exchange_delete(name)
                except pika.exceptions.ChannelClosedByBroker:
                    channel = connection.channel()
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError):
                connection.close()


@pytest.fixture
def amqp_tracker(amqp_vhost: AmqpVhost) -> Iterator[AmqpTracker]:
    tracker = AmqpTracker(amqp_vhost.admin_url)
    yield tracker
    tracker.cleanup()


def fresh_prefix() -> str:
    return "t" + uuid.uuid4().hex[:8]


@pytest.fixture
def amqp_prefix(amqp_tracker: AmqpTracker) -> str:
    prefix = fresh_prefix()
    amqp_tracker.topology(prefix)
    return prefix


def settings_for(vhost: AmqpVhost, prefix: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "amqp_url": vhost.url(),
        "amqp_prefix": prefix,
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.4,
        "max_attempts": 3,
        "exact_division": 123456,
    }
    values.update(overrides)
    return dataclasses.replace(Settings(), **values)


@pytest.fixture
def amqp_settings(amqp_vhost: AmqpVhost, amqp_prefix: str) -> Settings:
    return settings_for(amqp_vhost, amqp_prefix)


@dataclass
class Message:
    routing_key: str
    properties: Any
    body: bytes
    redelivered: bool

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.properties.headers or {})

    def json(self) -> Any:
        return json.loads(self.body)


class AmqpProbe:
    """The test's own (administrator) view of the broker."""

    def __init__(self, url: str, prefix: str, tracker: AmqpTracker | None = None) -> None:
        self.names = topology.Names(prefix)
        self.tracker = tracker
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def declare(self, settings: Settings) -> topology.Topology:
        ladder = topology.retry_ladder_ms(settings.retry_base_seconds, settings.retry_max_seconds)
        if self.tracker is not None:
            self.tracker.topology(settings.amqp_prefix, ladder)
        return topology.declare(self.connection.channel(), settings.amqp_prefix,
                                retry_delays_ms=ladder)

    def publish_event(self, event_type: str, body: bytes | dict[str, Any], *,
                      message_id: str | None = None, content_type: str = "application/json",
                      headers: dict[str, Any] | None = None) -> str:
        message_id = message_id or str(uuid.uuid4())
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        self.channel.basic_publish(
            self.names.events, event_type, raw,
            pika.BasicProperties(delivery_mode=2, content_type=content_type,
                                 message_id=message_id, type=event_type, headers=headers),
            mandatory=True,
        )
        return message_id

    def depth(self, queue: str) -> int:
        return int(self.channel.queue_declare(queue, passive=True).method.message_count)

    def wait_depth(self, queue: str, depth: int, timeout: float = 10.0) -> None:
        """Wait until ``queue`` holds ``depth`` ready messages (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while self.depth(queue) != depth:
            assert time.monotonic() < deadline, f"{queue}: depth {self.depth(queue)} != {depth}"
            self.connection.sleep(0.05)

    def take_all(self, queue: str) -> list[Message]:
        """Every message now in ``queue``, removed from it."""
        out = []
        while True:
            method, props, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return out
            out.append(Message(method.routing_key, props, bytes(body), bool(method.redelivered)))

    def wait_for(self, queue: str, count: int, timeout: float = 10.0) -> list[Message]:
        """Take messages from ``queue`` until ``count`` arrived (fails after ``timeout``)."""
        got: list[Message] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            got += self.take_all(queue)
            if len(got) < count:
                self.connection.sleep(0.05)
        assert len(got) >= count, f"{queue}: expected {count} messages, got {len(got)}"
        return got

    def close(self) -> None:
        with contextlib.suppress(pika.exceptions.AMQPError):
            self.connection.close()


@pytest.fixture
def recording_processor() -> RecordingProcessor:
    return RecordingProcessor()


@pytest.fixture
def amqp_probe(amqp_vhost: AmqpVhost, amqp_prefix: str,
               amqp_tracker: AmqpTracker) -> Iterator[AmqpProbe]:
    probe = AmqpProbe(amqp_vhost.admin_url, amqp_prefix, amqp_tracker)
    yield probe
    probe.close()


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError("condition not met within timeout")



@dataclass
class Call:
    at: float
    meta: MessageMeta
    event: dict[str, Any]


@dataclass
class RecordingProcessor:
    clock: Callable[[], float] = time.time
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    hooks: dict[str, Callable[[MessageMeta], None]] = field(default_factory=dict)
    #: events with ``"do": "fixable"`` fail permanently until this is set (the operator's fix)
    fixed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls_for(self, message_id: str) -> list[Call]:
        return [c for c in self.calls if c.meta.message_id == message_id]

    def process(self, body: bytes, meta: MessageMeta) -> Outcome:
        event = json.loads(body)  # a malformed body raises here: the loop must dead-letter it
        with self.lock:
            self.calls.append(Call(self.clock(), meta, event))
            seen = len(self.calls_for(str(meta.message_id)))
        action = event.get("do", "ok")
        hook = self.hooks.get(action)
        if hook is not None:
            hook(meta)
        if action == "permanent" or (action == "fixable" and not self.fixed):
            raise ContractError({"data": {"InvoiceCode": ["Missing data for required field."]}})
        if action == "rejected":
            exc = ExactRejected("Exact refused the entry", status=500,
                                exact_message="Dagboek bestaat niet", endpoint="SalesEntries")
            exc.results = (ResultMessage("export.failed", f"failed-{meta.message_id}",  # type: ignore[attr-defined]
                                         {"id": f"failed-{meta.message_id}",
                                          "reason": "Dagboek bestaat niet"}),)
            raise exc
        if action == "transient" and seen <= int(event.get("failures", 10**6)):
            raise TransientError("Exact answered 503 Service Unavailable")
        if action == "rate_limited" and seen == 1:
            raise RateLimited("minute budget spent", retry_at=self.clock() + event["wait"],
                              division=event.get("division", 123456))
        if action == "crash":
            raise KeyError("poison")
        if action == "auth":
            raise AuthorizationLost("Exact rejected the refresh token")
        if action == "sleep":
            time.sleep(float(event["seconds"]))
        key = str(meta.message_id)
        with self.lock:
            first = key not in self.effects
            self.effects.setdefault(key, event)
        result_id = f"res-{key}"
        return Outcome(
            status="done" if first else "duplicate",
            event_type=str(event.get("type", meta.routing_key)),
            hostfact_code=event.get("code"),
            exact_id=f"exact-{key}",
            results=(ResultMessage("export.succeeded", result_id,
                                   {"id": result_id, "type": "export.succeeded",
                                    "data": {"hostfact_code": event.get("code")}}),),
        )


# -- TLS: a self-signed CA and a TLS front for the broker -------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def make_tls_files(directory: Path, hostname: str = "localhost") -> TlsFiles:
    """A CA and a server certificate for ``hostname`` and 127.0.0.1, signed by that CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hfexact test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    files.server_key.chmod(0o600)
    return files


class TlsFront:
    """TLS in front of the broker's plain port (what a TLS listener does), on a free port.

    The broker itself is shared by every test on this machine, so it is not reconfigured; the
    client side (certificate and host-name verification) is exactly what it is against a
    broker's own ``listeners.ssl``.
    """

    def __init__(self, files: TlsFiles, upstream: tuple[str, int] = ("127.0.0.1", 5672)) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(files.server_cert, files.server_key)
        self.upstream = upstream
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.handshake_failures = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                raw, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshake_failures += 1
            raw.close()
            return
        up = socket.create_connection(self.upstream)
        try:
            while not self._closed:
                if not tls.pending():
                    ready, _, _ = select.select([tls, up], [], [], 0.5)
                else:
                    ready = [tls]
                if tls in ready:
                    data = tls.recv(65536)
                    if not data:
                        return
                    up.sendall(data)
                if up in ready:
                    data = up.recv(65536)
                    if not data:
                        return
                    tls.sendall(data)
        except (OSError, ssl.SSLError):
            return
        finally:
            up.close()
            tls.close()

    def close(self) -> None:
        self._closed = True
        self.server.close()


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    return make_tls_files(tmp_path)


@pytest.fixture
def tls_front(tls_files: TlsFiles) -> Iterator[TlsFront]:
    front = TlsFront(tls_files)
    yield front
    front.close()
