"""One exception tree, split by what the consumer must do with the message.

    BridgeError
    ├── ConfigError            settings missing or invalid; lists every problem at once
    ├── PermanentError         dead-letter at once with the reason, never retry
    │   ├── ContractError      the event does not satisfy the contract (schema, size, encoding)
    │   ├── TranslationError   valid event that cannot become an Exact booking (mask collision, ...)
    │   └── ExactRejected      Exact refused the request (validation 500, 400, 403, 404)
    ├── TransientError         retry later with backoff (503, timeouts, connection errors, HTML)
    │   └── WaitingForDependency  valid but must wait (a batch whose invoices are not exported yet)
    ├── RateLimited            wait until the reset in ``retry_at``; not a failed attempt
    └── AuthorizationLost      the refresh token is dead: stop and tell the operator to log in again

Foreign exceptions (requests, pika, SQLAlchemy) are mapped to these at the boundary where they
are raised; nothing above the adapters sees a library exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class BridgeError(Exception):
    """Root of every error the bridge raises on purpose."""

    #: a short machine-readable kind, used in dead-letter headers and metrics
    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: what the operator should do next, in plain words
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ConfigError(BridgeError):
    """The configuration is incomplete or wrong; ``problems`` lists every one of them."""

    kind = "config"

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(self.problems))


class PermanentError(BridgeError):
    """Retrying cannot help: the message goes to the dead-letter queue with this reason."""

    kind = "permanent"


class ContractError(PermanentError):
    """The event breaks the contract in ``schemas/``; ``messages`` is keyed by field."""

    kind = "contract"

    def __init__(self, messages: Mapping[str, Any] | list[Any] | str) -> None:
        self.messages = messages
        super().__init__(
            f"event does not satisfy the contract: {messages}",
            hint="fix the sender (php-bridge) or the record in HostFact, then replay",
        )


class TranslationError(PermanentError):
    """A valid event that cannot be turned into an Exact booking as configured."""

    kind = "translation"


class ExactRejected(PermanentError):
    """Exact Online refused the request; ``exact_message`` is Exact's own text (often Dutch)."""

    kind = "exact_rejected"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        exact_message: str = "",
        endpoint: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.exact_message = exact_message
        self.endpoint = endpoint


class TransientError(BridgeError):
    """Worth retrying later with backoff (outage, timeout, maintenance page)."""

    kind = "transient"


class WaitingForDependency(TransientError):
    """The event is fine but something it needs is not there yet."""

    kind = "waiting"


class MayStillLand(TransientError):
    """An earlier attempt's request may still be on its way to Exact (its worker died or timed
    out while it was in flight): looking for it now could miss it and book it twice. Retry at
    ``retry_at`` (epoch seconds); not a failed attempt."""

    kind = "in_flight"

    def __init__(self, message: str, *, retry_at: float, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_at = retry_at


class RateLimited(BridgeError):
    """Exact's rate budget is spent; retry at ``retry_at`` (epoch seconds)."""

    kind = "rate_limited"

    def __init__(self, message: str, *, retry_at: float, division: int | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at
        self.division = division


class AuthorizationLost(BridgeError):
    """The Exact connection needs a person: the refresh token is dead or consent was revoked."""

    kind = "auth_lost"

    def __init__(self, message: str) -> None:
        super().__init__(message, hint="run `hfexact auth login` to connect Exact Online again")
