"""The broker topology of one installation, declared idempotently from Python (and from PHP).

Every name starts with the prefix ``<P>`` (``HFEXACT_AMQP_PREFIX``, default ``hostfact``):

=========================  ===============  ==================================================
name                       kind             arguments / bindings
=========================  ===============  ==================================================
``<P>.events``             topic exchange   durable; HostFact events, routing key = event type
``<P>.exact``              quorum queue     bound to ``<P>.events`` with ``#``;
                                            ``x-delivery-limit`` 10, dead letters to
                                            ``<P>.dead`` with routing key ``<P>.exact``,
                                            ``x-dead-letter-strategy`` at-least-once,
                                            ``x-overflow`` reject-publish
``<P>.retry``              direct exchange  durable; the worker publishes delayed retries here;
                                            ``<P>.exact`` is also bound here with ``<P>.exact``
``<P>.retry.<ms>ms``       quorum queue     bound to ``<P>.retry`` with its own name;
                                            ``x-message-ttl`` <ms>, dead letters to
                                            ``<P>.retry`` with routing key ``<P>.exact`` (back
                                            to the worker only, never to other consumers of
                                            events), at-least-once, reject-publish
``<P>.dead``               direct exchange  durable; routing key = the queue the letter came from
``<P>.exact.dead``         quorum queue     bound to ``<P>.dead`` with ``<P>.exact``
``<P>.results``            topic exchange   durable; ``export.*``, ``payment.*``, ``settings.*``
``<P>.bridge.results``     quorum queue     bound to ``<P>.results`` with ``#``; same
                                            delivery limit and dead-lettering as ``<P>.exact``,
                                            to ``<P>.dead`` with ``<P>.bridge.results``
``<P>.bridge.results.dead``  quorum queue   bound to ``<P>.dead`` with ``<P>.bridge.results``
=========================  ===============  ==================================================

Quorum queues are durable, replicated and count deliveries; at-least-once dead-lettering (RabbitMQ
3.10+, needs ``x-overflow: reject-publish``) keeps a dead letter in its source queue until the
target confirms it. The retry ladder doubles from ``HFEXACT_RETRY_BASE_SECONDS`` up to
``HFEXACT_RETRY_MAX_SECONDS``; each message also carries its own jittered ``expiration`` no
longer than its queue's TTL, so it waits at most that TTL.

Declaring with other arguments than an existing object has is refused by the broker
(PRECONDITION_FAILED): :func:`declare` reports that as a ``ConfigError`` naming the object.
The PHP bridge declares the same objects with identical arguments (see ``php-bridge/README.md``);
``hfexact topology show --json`` prints them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pika.exceptions

from hfexact.errors import ConfigError

#: redeliveries (consumer crash, nack with requeue) after which the broker dead-letters a message
DELIVERY_LIMIT = 10


@dataclass(frozen=True)
class Names:
    """The names of one installation's exchanges and queues."""

    prefix: str

    @property
    def events(self) -> str:
        return f"{self.prefix}.events"

    @property
    def exact(self) -> str:
        return f"{self.prefix}.exact"

    @property
    def retry_exchange(self) -> str:
        return f"{self.prefix}.retry"

    def retry_queue(self, delay_ms: int) -> str:
        return f"{self.prefix}.retry.{delay_ms}ms"

    @property
    def dead(self) -> str:
        return f"{self.prefix}.dead"

    @property
    def exact_dead(self) -> str:
        return f"{self.prefix}.exact.dead"

    @property
    def results(self) -> str:
        return f"{self.prefix}.results"

    @property
    def bridge_results(self) -> str:
        return f"{self.prefix}.bridge.results"

    @property
    def bridge_results_dead(self) -> str:
        return f"{self.prefix}.bridge.results.dead"


@dataclass(frozen=True)
class Exchange:
    name: str
    type: str


@dataclass(frozen=True)
class Queue:
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class Binding:
    queue: str
    exchange: str
    routing_key: str


@dataclass(frozen=True)
class Topology:
    names: Names
    retry_delays_ms: tuple[int, ...]
    exchanges: tuple[Exchange, ...] = field(default=())
    queues: tuple[Queue, ...] = field(default=())
    bindings: tuple[Binding, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able description (what ``hfexact topology show --json`` prints)."""
        return {
            "exchanges": [
                {"name": e.name, "type": e.type, "durable": True} for e in self.exchanges
            ],
            "queues": [
                {"name": q.name, "durable": True, "arguments": dict(q.arguments)}
                for q in self.queues
            ],
            "bindings": [
                {"queue": b.queue, "exchange": b.exchange, "routing_key": b.routing_key}
                for b in self.bindings
            ],
        }


def retry_ladder_ms(base_seconds: float, max_seconds: float) -> tuple[int, ...]:
    """Retry delays in milliseconds: base, 2*base, 4*base, ... capped at (and ending with) max."""
    base = max(1, round(base_seconds * 1000))
    top = max(base, round(max_seconds * 1000))
    ladder = []
    delay = base
    while delay < top:
        ladder.append(delay)
        delay *= 2
    ladder.append(top)
    return tuple(ladder)


DEFAULT_RETRY_DELAYS_MS = retry_ladder_ms(5.0, 3600.0)


def _quorum(dead_exchange: str, dead_routing_key: str, **extra: Any) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        **extra,
        "x-dead-letter-exchange": dead_exchange,
        "x-dead-letter-routing-key": dead_routing_key,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def plan(prefix: str, retry_delays_ms: Sequence[int] = DEFAULT_RETRY_DELAYS_MS) -> Topology:
    """Everything one installation needs, in declaration order (targets before sources)."""
    n = Names(prefix)
    exchanges = (
        Exchange(n.events, "topic"),
        Exchange(n.retry_exchange, "direct"),
        Exchange(n.dead, "direct"),
        Exchange(n.results, "topic"),
    )
    queues = [
        Queue(n.exact_dead, {"x-queue-type": "quorum"}),
        Queue(n.bridge_results_dead, {"x-queue-type": "quorum"}),
        Queue(n.exact, _quorum(n.dead, n.exact, **{"x-delivery-limit": DELIVERY_LIMIT})),
        Queue(
            n.bridge_results,
            _quorum(n.dead, n.bridge_results, **{"x-delivery-limit": DELIVERY_LIMIT}),
        ),
    ]
    bindings = [
        Binding(n.exact_dead, n.dead, n.exact),
        Binding(n.bridge_results_dead, n.dead, n.bridge_results),
        Binding(n.exact, n.events, "#"),
        Binding(n.exact, n.retry_exchange, n.exact),
        Binding(n.bridge_results, n.results, "#"),
    ]
    for delay in sorted(set(retry_delays_ms)):
        name = n.retry_queue(delay)
        ttl = {"x-message-ttl": int(delay)}
        queues.append(Queue(name, _quorum(n.retry_exchange, n.exact, **ttl)))
        bindings.append(Binding(name, n.retry_exchange, name))
    return Topology(
        n, tuple(sorted(set(retry_delays_ms))), exchanges, tuple(queues), tuple(bindings)
    )


def declare(
    channel: Any,
    prefix: str,
    *,
    retry_delays_ms: Sequence[int] = DEFAULT_RETRY_DELAYS_MS,
) -> Topology:
    """Declare the whole topology on a pika ``BlockingChannel``; safe to repeat.

    Raises ``ConfigError`` when an object exists with other arguments (the channel is closed by
    the broker then; open a new one).
    """
    topo = plan(prefix, retry_delays_ms)
    current = ""
    try:
        for ex in topo.exchanges:
            current = f"exchange {ex.name!r}"
            channel.exchange_declare(ex.name, exchange_type=ex.type, durable=True)
        for q in topo.queues:
            current = f"queue {q.name!r}"
            channel.queue_declare(q.name, durable=True, arguments=dict(q.arguments))
        for b in topo.bindings:
            current = f"binding {b.exchange!r} -> {b.queue!r} ({b.routing_key!r})"
            channel.queue_bind(b.queue, b.exchange, routing_key=b.routing_key)
    except pika.exceptions.ChannelClosedByBroker as exc:
        raise topology_error(current, exc) from exc
    return topo


def delete(channel: Any, topo: Topology) -> None:
    """Delete every queue and exchange of ``topo`` (tests, benchmarks and the demo clean up a
    prefix they made; names are never declared again afterwards)."""
    for queue in topo.queues:
        channel.queue_delete(queue.name)
    for exchange in topo.exchanges:
        channel.exchange_delete(exchange.name)


def topology_error(what: str, exc: pika.exceptions.ChannelClosedByBroker) -> ConfigError:
    """Turn a broker refusal while declaring into an operator-readable ``ConfigError``."""
    if exc.reply_code == 406:
        return ConfigError(
            [f"{what} exists with other arguments than this version declares: "
             f"{exc.reply_text}. Declare from one source of truth (hfexact topology show) "
             f"and move to a fresh prefix instead of deleting a quorum queue in use"]
        )
    if exc.reply_code == 403:
        return ConfigError(
            [f"the AMQP user may not declare {what}: {exc.reply_text}. "
             f"Grant it the permissions printed by `hfexact topology permissions`"]
        )
    if exc.reply_code == 404:
        return ConfigError([f"{what} does not exist ({exc.reply_text}); run "
                            f"`hfexact topology declare` first"])
    return ConfigError([f"declaring {what} failed: {exc.reply_code} {exc.reply_text}"])


@dataclass(frozen=True)
class Permissions:
    """Least-privilege ``rabbitmqctl set_permissions`` patterns for one installation's user."""

    configure: str
    write: str
    read: str

    def command(self, vhost: str, user: str) -> list[str]:
        return ["rabbitmqctl", "set_permissions", "-p", vhost, user,
                self.configure, self.write, self.read]


def permissions(prefix: str) -> Permissions:
    """Only the objects under the prefix: no other installation, no ``amq.*`` exchange."""
    own = "^" + re.escape(prefix + ".") + ".*$"
    return Permissions(configure=own, write=own, read=own)
