"""Exact clients for the poller: one per reserve size, each keeping calls back for exports."""

from __future__ import annotations

import time
from collections.abc import Callable

from hfexact.config import Settings
from hfexact.exact.client import ExactClient
from hfexact.store import Store


class ExactClients:
    """``clients(keep_minute)`` -> an ``ExactClient`` that never takes the last ``keep_minute``
    calls of a minute (``ExactClient(keep_minute=...)``, atomic in the store) and never sleeps
    on a spent budget (``max_inline_wait=0``: the poller skips instead)."""

    def __init__(self, settings: Settings, store: Store, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._store = store
        self._clock = clock
        self._clients: dict[int, ExactClient] = {}

    def __call__(self, keep_minute: int) -> ExactClient:
        client = self._clients.get(keep_minute)
        if client is None:
            client = ExactClient(self._settings, self._store, clock=self._clock,
                                 keep_minute=keep_minute, max_inline_wait=0.0)
            self._clients[keep_minute] = client
        return client

    @property
    def calls(self) -> int:
        return sum(c.calls for c in self._clients.values())

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
