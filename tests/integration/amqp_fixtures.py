"""Reusable fixtures for tests on the real RabbitMQ of this machine.

Load them as a plugin in your test module: ``pytest_plugins = ("tests.integration.amqp_fixtures",)``
(or import the ones you use into a conftest.py).

- ``amqp_vhost`` (session): a fresh vhost ``hfexact-test-<hex8>`` made with ``rabbitmqctl``,
  with a least-privilege user that may touch only objects named ``t<hex8>.*`` (the form of
  ``hfexact.amqp.topology.permissions``), and guest as the administrator. The vhost (quorum
  queues included) is deleted at the end of the session; its name is never reused.
- ``amqp_prefix``: a fresh topology prefix ``t<hex8>`` per test.
- ``amqp_settings``: ``Settings`` for that prefix and the least-privilege user, with short
  retry delays (50 ms doubling to 400 ms) and 3 attempts.
- ``amqp_probe``: an administrator's connection to publish events, read queues and wait.
- ``RecordingProcessor``: a real Processor for loop tests; the event body says what it does
  (``{"do": "permanent"}``, ``"transient"``, ``"rate_limited"``, ``"crash"``, ``"auth"``,
  ``"sleep"``, ``"rejected"``, ``"fixable"``); effects are recorded once per message id, as the real
  processor's bindings do, so redeliveries and replays show up as ``duplicate``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import secrets
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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


@pytest.fixture(scope="session")
def amqp_vhost() -> Iterator[AmqpVhost]:
    tag = uuid.uuid4().hex[:8]
    vhost = AmqpVhost(f"hfexact-test-{tag}", f"hfexact-test-{tag}", secrets.token_hex(12))
    rabbitmqctl("add_vhost", vhost.name)
    try:
        rabbitmqctl("set_permissions", "-p", vhost.name, "guest", ".*", ".*", ".*")
        rabbitmqctl("add_user", vhost.user, vhost.password)
        rabbitmqctl("set_permissions", "-p", vhost.name, vhost.user,
                    TEST_PREFIX_PATTERN, TEST_PREFIX_PATTERN, TEST_PREFIX_PATTERN)
        yield vhost
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_user", vhost.user], capture_output=True,
                       timeout=60, check=False)
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost.name], capture_output=True,
                       timeout=120, check=False)


def fresh_prefix() -> str:
    return "t" + uuid.uuid4().hex[:8]


@pytest.fixture
def amqp_prefix() -> str:
    return fresh_prefix()


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

    def __init__(self, url: str, prefix: str) -> None:
        self.names = topology.Names(prefix)
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def declare(self, settings: Settings) -> topology.Topology:
        ladder = topology.retry_ladder_ms(settings.retry_base_seconds, settings.retry_max_seconds)
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
def amqp_probe(amqp_vhost: AmqpVhost, amqp_prefix: str) -> Iterator[AmqpProbe]:
    probe = AmqpProbe(amqp_vhost.admin_url, amqp_prefix)
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
