"""Where a handled message goes: results, a delayed retry, or the dead-letter queue.

Every method publishes with confirms (``Publisher``) and returns only once the broker took the
message; the caller acks the input after that, so a crash in between duplicates, never loses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hfexact.amqp.consumer import Delivery
from hfexact.amqp.failures import Failure, bucket_for, dead_letter_headers, retry_headers
from hfexact.amqp.publisher import Publisher, json_bytes, properties
from hfexact.amqp.topology import Names
from hfexact.processing_types import ResultMessage


class Settler:
    def __init__(self, publisher: Publisher, names: Names, ladder_ms: Sequence[int],
                 clock: Callable[[], float]) -> None:
        self.publisher = publisher
        self.names = names
        self.ladder_ms = tuple(ladder_ms)
        self.clock = clock

    def dead_letter(self, delivery: Delivery, routing_key: str, failure: Failure,
                    attempts: int) -> None:
        """To ``<P>.dead`` (routing key ``<P>.exact``) with the reason in headers."""
        headers = dead_letter_headers(delivery.headers, failure, attempts=attempts,
                                      now=self.clock(), routing_key=routing_key,
                                      exchange=delivery.exchange)
        self.publisher.publish(self.names.dead, self.names.exact, delivery.body,
                               copy_properties(delivery, headers))

    def retry(self, delivery: Delivery, routing_key: str, failure: Failure, attempts: int,
              delay_ms: int, *, rate_limited: bool) -> None:
        """To the retry queue whose TTL covers ``delay_ms``, expiring after ``delay_ms``."""
        headers = retry_headers(delivery.headers, failure, attempts=attempts, now=self.clock(),
                                routing_key=routing_key, exchange=delivery.exchange,
                                rate_limited=rate_limited)
        queue = self.names.retry_queue(bucket_for(delay_ms, self.ladder_ms))
        self.publisher.publish(self.names.retry_exchange, queue, delivery.body,
                               copy_properties(delivery, headers, expiration_ms=delay_ms))

    def results(self, event_id: str | None, results: Iterable[ResultMessage] | None) -> None:
        """Each result to ``<P>.results`` with its type as routing key."""
        for result in results or ():
            self.publisher.publish(
                self.names.results, result.type, json_bytes(result.body),
                properties(message_id=result.message_id, type=result.type,
                           headers={"x-hfexact-event-id": event_id} if event_id else None),
            )


def copy_properties(delivery: Delivery, headers: dict[str, Any], *,
                    expiration_ms: int | None = None) -> Any:
    """The input's properties (id, type, content type, ...) with new headers."""
    p = delivery.properties
    return properties(message_id=p.message_id, type=p.type, content_type=p.content_type,
                      headers=headers, expiration_ms=expiration_ms, timestamp=p.timestamp,
                      app_id=p.app_id, content_encoding=p.content_encoding,
                      correlation_id=p.correlation_id)
