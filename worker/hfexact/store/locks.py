"""Locks that span threads and processes.

* PostgreSQL: a session-level advisory lock on a connection of its own, waited for with
  ``lock_timeout``; the server releases it when the holder's connection ends (even on kill -9).
* SQLite: ``flock`` on a file next to the database (released by the kernel when the holder
  dies), so holding it never blocks other writers the way a long ``BEGIN IMMEDIATE`` would.
* Within a process, a keyed ``threading.Lock`` first, so threads queue without polling the
  database and at most one connection per key is used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from hfexact.errors import TransientError


class LockTimeout(TransientError):
    """Another worker held the lock for longer than the timeout."""

    kind = "lock_timeout"


def advisory_key(*parts: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory lock functions."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class KeyedLocks:
    """``threading.Lock`` per key, dropped again when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextlib.contextmanager
    def hold(self, key: str, timeout: float) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            if not lock.acquire(timeout=max(timeout, 0.0)):
                raise LockTimeout(f"lock {key!r} still held by another thread after {timeout:g} s")
            try:
                yield
            finally:
                lock.release()
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


@contextlib.contextmanager
def pg_advisory_lock(engine: Engine, key: int, timeout: float, what: str) -> Iterator[None]:
    """Hold a session-level advisory lock on a dedicated connection."""
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    locked = False
    try:
        conn.execute(text(f"SET lock_timeout = {max(int(timeout * 1000), 1)}"))
        try:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":
                raise LockTimeout(f"{what} still held by another worker after {timeout:g} s") \
                    from exc
            raise
        locked = True
        conn.execute(text("SET lock_timeout = 0"))
        yield
    finally:
        try:
            if locked:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        except DBAPIError:
            conn.invalidate()  # the session is gone, and with it the lock
        finally:
            conn.close()


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, what: str, poll: float = 0.02) -> Iterator[None]:
    """An exclusive ``flock`` on ``path``, polled until ``timeout``."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"{what} still held by another process after {timeout:g} s"
                    ) from exc
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
