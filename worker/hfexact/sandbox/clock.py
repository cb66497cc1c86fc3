"""The sandbox clock: real time plus an offset that ``POST /sandbox/clock`` moves."""

from __future__ import annotations

import datetime as dt
import threading
import time


class SandboxClock:
    """Wall-clock time shifted by a settable offset (token expiry, rate windows, dates)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Epoch seconds on the sandbox clock."""
        with self._lock:
            return time.time() + self._offset

    def utcnow(self) -> dt.datetime:
        """Naive UTC datetime on the sandbox clock (Exact stores naive date-times)."""
        return dt.datetime.fromtimestamp(self.now(), tz=dt.UTC).replace(tzinfo=None)

    def today(self) -> dt.datetime:
        """Midnight of the sandbox's current UTC day."""
        now = self.utcnow()
        return dt.datetime(now.year, now.month, now.day)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset
