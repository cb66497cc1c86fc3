"""What a failed message carries: headers of dead letters and delayed retries, and the delays.

Dead letters go to ``<P>.dead`` (routing key ``<P>.exact``) with the original body and
properties plus these headers:

==============================  =========================================================
``x-hfexact-error``             kind: ``contract``, ``translation``, ``exact_rejected``,
                                ``transient`` (attempts exhausted), ``crash``, ...
``x-hfexact-reason``            one line a person can act on
``x-hfexact-messages``          JSON: field errors, Exact's message, or a traceback summary
``x-hfexact-attempts``          failed attempts so far (rate-limit waits do not count)
``x-hfexact-first-failed-at``   ISO 8601 UTC of the first failure
``x-hfexact-failed-at``         ISO 8601 UTC of this failure
``x-hfexact-routing-key``       the routing key the event was published with
``x-hfexact-exchange``          the exchange it was published to
``x-hfexact-hostfact-code``     HostFact's code of the record, when known
==============================  =========================================================

Retries carry the same attempts, first-failed-at and routing-key headers plus
``x-hfexact-last-error`` / ``x-hfexact-last-reason``, and ``x-hfexact-rate-limited`` counting
the waits for Exact's rate budget.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tenacity

from hfexact.errors import BridgeError, ContractError, ExactRejected

H_ERROR = "x-hfexact-error"
H_REASON = "x-hfexact-reason"
H_MESSAGES = "x-hfexact-messages"
H_ATTEMPTS = "x-hfexact-attempts"
H_FIRST_FAILED_AT = "x-hfexact-first-failed-at"
H_FAILED_AT = "x-hfexact-failed-at"
H_ROUTING_KEY = "x-hfexact-routing-key"
H_EXCHANGE = "x-hfexact-exchange"
H_HOSTFACT_CODE = "x-hfexact-hostfact-code"
H_LAST_ERROR = "x-hfexact-last-error"
H_LAST_REASON = "x-hfexact-last-reason"
H_RATE_LIMITED = "x-hfexact-rate-limited"
H_REPLAYED_AT = "x-hfexact-replayed-at"
H_REPLAYS = "x-hfexact-replays"

#: headers the broker adds when it dead-letters; dropped when we republish a message ourselves
BROKER_DEATH_HEADERS = ("x-death", "x-first-death-exchange", "x-first-death-queue",
                        "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue",
                        "x-last-death-reason")
#: failure headers of ours that a replay clears, so a fixed event starts afresh
FAILURE_HEADERS = (H_ERROR, H_REASON, H_MESSAGES, H_ATTEMPTS, H_FIRST_FAILED_AT, H_FAILED_AT,
                   H_LAST_ERROR, H_LAST_REASON, H_RATE_LIMITED, H_HOSTFACT_CODE)

MAX_REASON_CHARS = 2000
MAX_MESSAGES_BYTES = 32 * 1024  # headers travel in one frame (frame_max 128 KiB by default)


@dataclass(frozen=True)
class Failure:
    """Why a message could not be processed, in the words the dead-letter queue shows."""

    kind: str
    reason: str
    messages: Any = field(default_factory=dict)
    hostfact_code: str | None = None


def failure_from_error(exc: BridgeError) -> Failure:
    """A bridge error as a dead-letter reason, keeping field errors and Exact's own text."""
    messages: Any = {}
    if isinstance(exc, ContractError):
        messages = exc.messages
    elif isinstance(exc, ExactRejected):
        messages = {"status": exc.status, "endpoint": exc.endpoint,
                    "exact_message": exc.exact_message}
    elif getattr(exc, "messages", None) is not None:
        messages = exc.messages  # type: ignore[attr-defined]
    code = getattr(exc, "hostfact_code", None)
    return Failure(exc.kind, str(exc), messages, str(code) if code else None)


def crash_failure(exc: BaseException) -> Failure:
    """An unexpected exception (a bug or a poison message): type, text and where it happened."""
    frames = traceback.extract_tb(exc.__traceback__)[-8:]
    summary = [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames]
    text = f"{type(exc).__name__}: {exc}"
    return Failure("crash", f"unexpected error while processing: {text}",
                   {"exception": text, "traceback": summary})


def now_iso(now: float) -> str:
    return dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds")


def attempts_of(headers: Mapping[str, Any]) -> int:
    try:
        return max(0, int(headers.get(H_ATTEMPTS, 0)))
    except (TypeError, ValueError):
        return 0


def _clip(text: str, limit: int = MAX_REASON_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def messages_json(messages: Any) -> str:
    text = json.dumps(messages, default=str, ensure_ascii=False, sort_keys=True)
    if len(text.encode("utf-8")) > MAX_MESSAGES_BYTES:
        text = json.dumps({"truncated": _clip(text, MAX_MESSAGES_BYTES // 4)}, ensure_ascii=False)
    return text


def carried_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """The producer's headers and ours, without the broker's dead-lettering history."""
    return {k: v for k, v in headers.items() if k not in BROKER_DEATH_HEADERS}


def dead_letter_headers(
    headers: Mapping[str, Any], failure: Failure, *, attempts: int, now: float,
    routing_key: str, exchange: str,
) -> dict[str, Any]:
    out = carried_headers(headers)
    for key in (H_LAST_ERROR, H_LAST_REASON):
        out.pop(key, None)
    out.update({
        H_ERROR: failure.kind,
        H_REASON: _clip(failure.reason),
        H_MESSAGES: messages_json(failure.messages),
        H_ATTEMPTS: attempts,
        H_FIRST_FAILED_AT: str(headers.get(H_FIRST_FAILED_AT) or now_iso(now)),
        H_FAILED_AT: now_iso(now),
        H_ROUTING_KEY: routing_key,
        H_EXCHANGE: str(headers.get(H_EXCHANGE, exchange)),
    })
    if failure.hostfact_code:
        out[H_HOSTFACT_CODE] = failure.hostfact_code
    return out


def retry_headers(
    headers: Mapping[str, Any], failure: Failure, *, attempts: int, now: float,
    routing_key: str, exchange: str, rate_limited: bool,
) -> dict[str, Any]:
    out = carried_headers(headers)
    out.update({
        H_ATTEMPTS: attempts,
        H_FIRST_FAILED_AT: str(headers.get(H_FIRST_FAILED_AT) or now_iso(now)),
        H_LAST_ERROR: failure.kind,
        H_LAST_REASON: _clip(failure.reason, 500),
        H_ROUTING_KEY: routing_key,
        H_EXCHANGE: str(headers.get(H_EXCHANGE, exchange)),
    })
    if rate_limited:
        out[H_RATE_LIMITED] = int(headers.get(H_RATE_LIMITED, 0) or 0) + 1
    return out


def backoff_seconds(attempt: int, base_seconds: float, max_seconds: float) -> float:
    """Exponential backoff with "equal jitter": uniformly within [E/2, E], E = base * 2**(n-1),
    capped at ``max_seconds``; tenacity's wait functions do the arithmetic."""
    half_base, half_max = base_seconds / 2, max_seconds / 2
    wait = (tenacity.wait_exponential(multiplier=half_base, max=half_max)
            + tenacity.wait_random_exponential(multiplier=half_base, max=half_max))
    state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
    state.attempt_number = max(1, attempt)
    return float(wait(state))


def bucket_for(delay_ms: int, ladder_ms: Sequence[int]) -> int:
    """The shortest retry queue whose TTL is at least the delay (the longest one otherwise)."""
    for bucket in ladder_ms:
        if bucket >= delay_ms:
            return bucket
    return ladder_ms[-1]


def delay_until_ms(retry_at: float, now: float, ladder_ms: Sequence[int]) -> int:
    """Milliseconds to wait for ``retry_at``, within the ladder's shortest and longest delay."""
    wanted = math.ceil(max(0.0, retry_at - now) * 1000)
    return max(ladder_ms[0], min(wanted, ladder_ms[-1]))
