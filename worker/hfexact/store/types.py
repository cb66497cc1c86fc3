"""Frozen value objects the store hands out; no I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

BindingKind = Literal[
    "debtor", "creditor", "invoice", "purchase_invoice", "sdd_batch", "sdd_reversal"
]
BINDING_KINDS: frozenset[str] = frozenset(
    {"debtor", "creditor", "invoice", "purchase_invoice", "sdd_batch", "sdd_reversal"}
)
BindingState = Literal["pending", "done", "failed"]


@dataclass(frozen=True)
class TokenSet:
    """One OAuth2 grant: the bearer token, its rotating refresh token and when it was issued."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    #: epoch seconds at which the access token stops working
    expires_at: float
    #: epoch seconds at which the token endpoint issued this set (the 570 s rule counts from here)
    issued_at: float


@dataclass(frozen=True)
class Budget:
    """Exact's rate budget for one division, as the last response headers told it.

    Any window may be unknown (``None``): a 429 for the minutely limit carries only the minutely
    headers. Reset times are epoch seconds.
    """

    minute_limit: int | None = None
    minute_remaining: int | None = None
    minute_reset_at: float | None = None
    day_limit: int | None = None
    day_remaining: int | None = None
    day_reset_at: float | None = None


@dataclass(frozen=True)
class Binding:
    """What the bridge made in Exact for one HostFact record."""

    installation: str
    kind: str
    hostfact_id: str
    hostfact_code: str | None
    division: int | None
    state: str
    exact_id: str | None
    exact_number: str | None
    exact_code: str | None
    version: str | None
    details: Mapping[str, Any]
    updated_at: datetime
    #: the event that last began or completed this binding
    event_id: str | None = None


@dataclass(frozen=True)
class StoredSettings:
    """An installation's export settings and the result of checking them against Exact."""

    data: Mapping[str, Any]
    version: str
    valid: bool | None
    problems: list[str]
    updated_at: datetime
