"""Publishing that knows it landed: publisher confirms, ``mandatory``, persistent messages.

``Publisher.publish`` returns only after the broker confirmed the message into at least one
queue. An unroutable message (no queue bound) or a broker nack (a queue refusing, e.g. over its
length limit) raises ``PublishFailed``, a ``TransientError``: the caller keeps the input
message unacknowledged or retries it later, so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pika
import pika.exceptions
from pika.delivery_mode import DeliveryMode

from hfexact.errors import TransientError

JSON = "application/json"


class PublishFailed(TransientError):
    """The broker did not take the message into a queue."""

    kind = "publish_failed"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_bytes(obj: Any) -> bytes:
    """UTF-8 JSON; Decimal as a string (never a float), dates as ISO 8601."""
    return json.dumps(obj, default=_json_default, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def properties(
    *,
    message_id: str | None,
    type: str | None,
    content_type: str | None = JSON,
    headers: Mapping[str, Any] | None = None,
    expiration_ms: int | None = None,
    timestamp: int | None = None,
    **extra: Any,
) -> pika.BasicProperties:
    """Persistent message properties with the fields every bridge message carries."""
    return pika.BasicProperties(
        delivery_mode=DeliveryMode.Persistent,
        content_type=content_type,
        message_id=message_id,
        type=type,
        headers=dict(headers) if headers else None,
        expiration=str(int(expiration_ms)) if expiration_ms is not None else None,
        timestamp=timestamp if timestamp is not None else int(time.time()),
        app_id=extra.pop("app_id", "hfexact"),
        **extra,
    )


class Publisher:
    """Confirmed, mandatory publishing on its own channel (never the consuming one)."""

    def __init__(self, channel: Any) -> None:
        self._channel = channel
        channel.confirm_delivery()

    @property
    def channel(self) -> Any:
        return self._channel

    def publish(
        self, exchange: str, routing_key: str, body: bytes, props: pika.BasicProperties
    ) -> None:
        """Publish and wait for the broker's confirm; raise ``PublishFailed`` otherwise."""
        try:
            self._channel.basic_publish(exchange, routing_key, body, props, mandatory=True)
        except pika.exceptions.UnroutableError as exc:
            raise PublishFailed(
                f"no queue is bound to exchange {exchange!r} for routing key {routing_key!r}",
                hint="run `hfexact topology declare`",
            ) from exc
        except pika.exceptions.NackError as exc:
            raise PublishFailed(
                f"the broker refused the message for {exchange!r}/{routing_key!r} (nack)"
            ) from exc

    def publish_json(
        self,
        exchange: str,
        routing_key: str,
        body: Any,
        *,
        message_id: str,
        type: str,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        self.publish(exchange, routing_key, json_bytes(body),
                     properties(message_id=message_id, type=type, headers=headers))
