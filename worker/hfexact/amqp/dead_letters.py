"""Reading, replaying and purging ``<P>.exact.dead`` without losing a letter.

Browsing takes every message with ``basic.get`` *without* acknowledging it and hands them all
back when done, so the queue is unchanged. Replay republishes a letter to ``<P>.events`` with
its original routing key, message id and producer headers (our failure headers dropped, so the
event starts afresh) and acknowledges the letter only after the broker confirmed the republish;
several copies of one event id are replayed once. A second replay of the same id finds nothing
left to do, and the worker's bindings make a repeated event a no-op anyway.

A letter's id is its message id (the event id), or ``sha-<12 hex>`` of its body when it has none.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import pika.exceptions

from hfexact.amqp.failures import (
    BROKER_DEATH_HEADERS,
    FAILURE_HEADERS,
    H_ERROR,
    H_EXCHANGE,
    H_FAILED_AT,
    H_HOSTFACT_CODE,
    H_MESSAGES,
    H_REASON,
    H_REPLAYED_AT,
    H_REPLAYS,
    H_ROUTING_KEY,
    attempts_of,
    now_iso,
)
from hfexact.amqp.publisher import Publisher, properties
from hfexact.amqp.topology import Names, topology_error

#: fields of HostFact objects that name the record, in the order we look for them
CODE_FIELDS = ("InvoiceCode", "CreditInvoiceCode", "DebtorCode", "CreditorCode", "BatchID")
MAX_BODY_SCAN = 1024 * 1024


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered event, with the reason it is there."""

    id: str
    message_id: str | None
    type: str | None
    routing_key: str
    kind: str
    reason: str
    messages: Any
    attempts: int
    failed_at: dt.datetime | None
    hostfact_code: str | None
    body: bytes = field(repr=False)
    properties: Any = field(repr=False)

    def age_seconds(self, now: float) -> float | None:
        return None if self.failed_at is None else max(0.0, now - self.failed_at.timestamp())


def letter_id(message_id: str | None, body: bytes) -> str:
    return message_id or "sha-" + hashlib.sha256(body).hexdigest()[:12]


def _parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return dt.datetime.fromisoformat(value)
    return None


def guess_hostfact_code(body: bytes) -> str | None:
    """Best effort, for display only: the record's code from the event's ``data``."""
    if len(body) > MAX_BODY_SCAN:
        return None
    try:
        data = json.loads(body).get("data")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    for name in CODE_FIELDS:
        if data.get(name):
            return str(data[name])
    return None


def from_message(props: Any, body: bytes) -> DeadLetter:
    """Read a letter dead-lettered by the worker (our headers) or by the broker (``x-death``)."""
    headers = dict(props.headers or {})
    deaths = headers.get("x-death") or [{}]
    death = deaths[0] if isinstance(deaths, list) and deaths else {}
    if H_ERROR in headers:
        kind = str(headers[H_ERROR])
        reason = str(headers.get(H_REASON, ""))
        try:
            messages = json.loads(headers.get(H_MESSAGES) or "{}")
        except ValueError:
            messages = headers.get(H_MESSAGES)
        failed_at = _parse_time(headers.get(H_FAILED_AT))
    else:
        kind = str(death.get("reason") or "unknown")
        queue = death.get("queue", "?")
        reason = f"the broker dead-lettered it from {queue} ({kind})"
        if kind == "delivery_limit":
            reason += (": delivered too often without an ack "
                       "(the worker crashed or was killed on it)")
        messages = {}
        failed_at = _parse_time(death.get("time"))
    keys = death.get("routing-keys") or []
    routing_key = str(headers.get(H_ROUTING_KEY) or (keys[0] if keys else "") or props.type or "")
    if failed_at is None and props.timestamp:
        failed_at = dt.datetime.fromtimestamp(props.timestamp, dt.UTC)
    code = headers.get(H_HOSTFACT_CODE)
    return DeadLetter(
        id=letter_id(props.message_id, body), message_id=props.message_id, type=props.type,
        routing_key=routing_key, kind=kind, reason=reason, messages=messages,
        attempts=attempts_of(headers), failed_at=failed_at,
        hostfact_code=str(code) if code else guess_hostfact_code(body),
        body=body, properties=props,
    )


def replay_headers(headers: dict[str, Any], now: float) -> dict[str, Any]:
    """The producer's headers, without failure bookkeeping, marked as replayed."""
    drop = set(BROKER_DEATH_HEADERS) | set(FAILURE_HEADERS) | {H_ROUTING_KEY, H_EXCHANGE}
    out = {k: v for k, v in headers.items() if k not in drop}
    out[H_REPLAYED_AT] = now_iso(now)
    out[H_REPLAYS] = int(headers.get(H_REPLAYS, 0) or 0) + 1
    return out


@dataclass
class ReplayReport:
    replayed: list[str] = field(default_factory=list)
    duplicates_removed: int = 0
    not_found: list[str] = field(default_factory=list)


@dataclass
class _Held:
    tag: int
    letter: DeadLetter


class DeadLetterQueue:
    """Operations on one installation's dead-letter queue over an open connection."""

    def __init__(self, connection: Any, prefix: str, *, clock: Callable[[], float]) -> None:
        self.connection = connection
        self.names = Names(prefix)
        self.queue = self.names.exact_dead
        self._clock = clock

    def count(self) -> int:
        channel = self.connection.channel()
        try:
            ok = channel.queue_declare(self.queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            raise topology_error(f"queue {self.queue!r}", exc) from exc
        count = int(ok.method.message_count)
        channel.close()
        return count

    @contextlib.contextmanager
    def _holding(self, limit: int | None = None) -> Iterator[tuple[Any, list[_Held]]]:
        """All letters (up to ``limit``) taken unacked; whatever is not acked goes back."""
        total = self.count()
        channel = self.connection.channel()
        held: list[_Held] = []
        try:
            while len(held) < total and (limit is None or len(held) < limit):
                method, props, body = channel.basic_get(self.queue, auto_ack=False)
                if method is None:
                    break
                held.append(_Held(method.delivery_tag, from_message(props, bytes(body))))
            yield channel, held
        finally:
            if channel.is_open:
                with contextlib.suppress(pika.exceptions.AMQPError):
                    channel.basic_nack(0, multiple=True, requeue=True)  # the rest goes back
                    channel.close()

    def browse(self, limit: int | None = None) -> list[DeadLetter]:
        with self._holding(limit) as (_channel, held):
            return [h.letter for h in held]

    def find(self, letter: str) -> list[DeadLetter]:
        return [d for d in self.browse() if d.id == letter or d.id.startswith(letter)]

    def replay(
        self,
        ids: Collection[str] | None,
        *,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> ReplayReport:
        """Republish the letters with these ids (all when ``ids`` is None) to ``<P>.events``."""
        report = ReplayReport()
        publisher = Publisher(self.connection.channel())
        with self._holding() as (channel, held):
            chosen = [h for h in held if ids is None or h.letter.id in ids]
            report.not_found = sorted(set(ids or ()) - {h.letter.id for h in held})
            done: set[str] = set()
            for n, item in enumerate(chosen, 1):
                letter = item.letter
                if letter.id not in done:
                    self._republish(publisher, letter)
                    done.add(letter.id)
                    report.replayed.append(letter.id)
                else:
                    report.duplicates_removed += 1
                channel.basic_ack(item.tag)
                if on_progress:
                    on_progress(n, len(chosen))
        publisher.channel.close()
        return report

    def _republish(self, publisher: Publisher, letter: DeadLetter) -> None:
        p = letter.properties
        headers = replay_headers(dict(p.headers or {}), self._clock())
        publisher.publish(
            self.names.events, letter.routing_key, letter.body,
            properties(message_id=p.message_id, type=p.type, content_type=p.content_type,
                       headers=headers, timestamp=p.timestamp, app_id=p.app_id,
                       content_encoding=p.content_encoding, correlation_id=p.correlation_id),
        )

    def purge(self, ids: Collection[str] | None = None) -> int:
        """Delete letters for good: these ids, or all of them."""
        if ids is None:
            channel = self.connection.channel()
            ok = channel.queue_purge(self.queue)
            channel.close()
            return int(ok.method.message_count)
        removed = 0
        with self._holding() as (channel, held):
            for item in held:
                if item.letter.id in ids:
                    channel.basic_ack(item.tag)
                    removed += 1
        return removed
