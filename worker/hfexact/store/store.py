"""The store: one class over SQLite or PostgreSQL, opened (and migrated) by ``open_store``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from hfexact.config import Settings
from hfexact.store.bindings_repo import BindingsMixin
from hfexact.store.budget_repo import BudgetMixin
from hfexact.store.crypto import SecretBox, secret_key_from_settings
from hfexact.store.engine import make_engine, migrate
from hfexact.store.records_repo import RecordsMixin
from hfexact.store.tokens_repo import TokensMixin


class Store(TokensMixin, BudgetMixin, BindingsMixin, RecordsMixin):
    """Thread-safe; several processes may share a PostgreSQL (or SQLite) store.

    Every method runs in its own short transaction and has committed when it returns.
    """

    def __enter__(self) -> Store:
        return self


def open_store(
    url: str,
    *,
    secret_key: bytes | None = None,
    clock: Callable[[], float] = time.time,
) -> Store:
    """Open the store at ``url`` and apply pending migrations.

    ``url``: ``sqlite:///path/file.sqlite3`` or ``postgresql://user@host/db``. With
    ``secret_key`` (a Fernet key, see ``hfexact.store.crypto``) tokens and secrets are encrypted
    at rest. Raises ConfigError for an unusable URL or key, StoreUnavailable when the database
    does not answer.
    """
    box = SecretBox(secret_key)
    engine = make_engine(url)
    store = Store(engine, box=box, clock=clock)
    try:
        with store._tx() as _conn:  # surface an unreachable database as StoreUnavailable
            pass
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return store


def with_stored_division(settings: Settings) -> Settings:
    """``settings`` with the division ``hfexact auth login --division`` stored, when neither
    ``HFEXACT_EXACT_DIVISION`` nor a per-installation mapping names one (those always win)."""
    if settings.exact_division is not None or settings.divisions or not settings.exact_client_id:
        return settings
    store = open_configured_store(settings)
    try:
        division = store.get_division(settings.exact_client_id)
    finally:
        store.close()
    return settings if division is None else dataclasses.replace(settings, exact_division=division)


def open_configured_store(settings: Settings, *, clock: Callable[[], float] = time.time) -> Store:
    """``open_store`` with the URL and the secret key (env or 0600 file) from the settings."""
    return open_store(settings.store_url, secret_key=secret_key_from_settings(settings),
                      clock=clock)
