"""Durable state of the bridge: tokens, rate budgets, bindings, settings, cache, cursors.

``open_store(url, secret_key=...)`` works the same on SQLite (embedded, one host) and
PostgreSQL (several workers); migrations (alembic) are applied on open.
"""

from hfexact.store.base import StoreUnavailable
from hfexact.store.crypto import SecretBox, generate_key, secret_key_from_settings
from hfexact.store.locks import LockTimeout
from hfexact.store.records_repo import Outcome
from hfexact.store.store import Store, open_configured_store, open_store, with_stored_division
from hfexact.store.tokens_repo import TokenInfo
from hfexact.store.types import (
    BINDING_KINDS,
    Binding,
    BindingKind,
    Budget,
    StoredSettings,
    TokenSet,
)

__all__ = [
    "BINDING_KINDS",
    "Binding",
    "BindingKind",
    "Budget",
    "LockTimeout",
    "Outcome",
    "SecretBox",
    "Store",
    "StoreUnavailable",
    "StoredSettings",
    "TokenInfo",
    "TokenSet",
    "generate_key",
    "open_configured_store",
    "open_store",
    "secret_key_from_settings",
    "with_stored_division",
]
