"""The values that pass between the worker loop (AMQP) and the processor.

``MessageMeta`` describes the delivery, ``Outcome`` what processing did, ``ResultMessage`` one
result envelope to publish on ``<P>.results`` (after the effect, before the ack). A duplicate
delivery yields the same results with the same message ids, so a crash between the effect and
the publish loses nothing and a consumer de-duplicates by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

OutcomeStatus = Literal["done", "duplicate", "ignored"]


@dataclass(frozen=True)
class MessageMeta:
    """What AMQP says about a delivery."""

    message_id: str | None = None
    content_type: str | None = "application/json"
    routing_key: str = ""
    headers: Mapping[str, Any] = field(default_factory=dict)
    redelivered: bool = False


@dataclass(frozen=True)
class ResultMessage:
    """A result envelope to publish: AMQP ``type`` and ``message_id``, and the JSON body."""

    type: str
    message_id: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What processing one event did.

    ``done``: the effect happened now (or was adopted after a crash); ``duplicate``: it had
    happened before, nothing was called in Exact; ``ignored``: nothing to do (an older debtor
    version, a kind switched off in the settings).
    """

    status: OutcomeStatus
    event_type: str
    hostfact_code: str | None = None
    exact_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    results: tuple[ResultMessage, ...] = ()
