"""OAuth tokens, the client secret and the chosen division, plus the cross-process token lock."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select

from hfexact.store import schema
from hfexact.store.base import StoreBase, to_datetime
from hfexact.store.crypto import SecretBox
from hfexact.store.locks import advisory_key, file_lock, pg_advisory_lock
from hfexact.store.types import TokenSet


@dataclass(frozen=True)
class TokenInfo:
    """What ``hfexact auth status`` shows: never the tokens themselves."""

    expires_at: float
    issued_at: float
    refresh_token_present: bool
    encrypted: bool
    updated_at: datetime


class TokensMixin(StoreBase):
    def load_tokens(self, client_id: str) -> TokenSet | None:
        with self._tx(read_only=True) as conn:
            row = conn.execute(
                select(schema.tokens).where(schema.tokens.c.client_id == client_id)
            ).one_or_none()
        if row is None:
            return None
        return TokenSet(
            access_token=self._box.open(row.access_token),
            refresh_token=self._box.open(row.refresh_token),
            expires_at=row.expires_at,
            issued_at=row.issued_at,
        )

    def save_tokens(self, client_id: str, tokens: TokenSet) -> None:
        """Replace the stored tokens; committed (durably) before this returns."""
        with self._tx() as conn:
            self._upsert(conn, schema.tokens, {
                "client_id": client_id,
                "access_token": self._box.seal(tokens.access_token),
                "refresh_token": self._box.seal(tokens.refresh_token),
                "expires_at": tokens.expires_at,
                "issued_at": tokens.issued_at,
                "updated_at": self._clock(),
            }, ("client_id",))

    def delete_tokens(self, client_id: str) -> None:
        with self._tx() as conn:
            conn.execute(delete(schema.tokens).where(schema.tokens.c.client_id == client_id))

    def token_info(self, client_id: str) -> TokenInfo | None:
        with self._tx(read_only=True) as conn:
            row = conn.execute(
                select(schema.tokens).where(schema.tokens.c.client_id == client_id)
            ).one_or_none()
        if row is None:
            return None
        return TokenInfo(
            expires_at=row.expires_at,
            issued_at=row.issued_at,
            refresh_token_present=bool(row.refresh_token),
            encrypted=SecretBox.is_sealed(row.refresh_token),
            updated_at=to_datetime(row.updated_at),
        )

    @contextlib.contextmanager
    def token_lock(self, client_id: str, timeout: float = 30.0) -> Iterator[None]:
        """Serialize token refreshes for ``client_id`` across threads and processes.

        Raises ``LockTimeout`` (a TransientError) after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        what = f"the token lock for {client_id!r}"
        with self._local_locks.hold("token\x1f" + client_id, timeout):
            left = max(deadline - time.monotonic(), 0.001)
            if self.dialect == "postgresql":
                with pg_advisory_lock(self._engine, advisory_key("token", client_id), left, what):
                    yield
            else:
                with file_lock(self._lock_path("token", client_id), left, what):
                    yield

    def _lock_path(self, *parts: str) -> Path:
        database = self._engine.url.database
        assert database, "SQLite store without a file"
        tag = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=6).hexdigest()
        return Path(database).expanduser().resolve().with_name(
            Path(database).name + f".{parts[0]}-{tag}.lock"
        )

    # -- the rest of the connection: client secret and chosen division --------------------------

    def save_client_secret(self, client_id: str, secret: str) -> None:
        """Keep the OAuth client secret (encrypted at rest when a key is set)."""
        with self._tx() as conn:
            self._upsert(conn, schema.connections, {
                "client_id": client_id,
                "client_secret": self._box.seal(secret),
                "updated_at": self._clock(),
            }, ("client_id",))

    def load_client_secret(self, client_id: str) -> str | None:
        with self._tx(read_only=True) as conn:
            value = conn.execute(
                select(schema.connections.c.client_secret)
                .where(schema.connections.c.client_id == client_id)
            ).scalar_one_or_none()
        return None if value is None else self._box.open(value)

    def client_secret_encrypted(self, client_id: str) -> bool | None:
        """None when no secret is stored."""
        with self._tx(read_only=True) as conn:
            value = conn.execute(
                select(schema.connections.c.client_secret)
                .where(schema.connections.c.client_id == client_id)
            ).scalar_one_or_none()
        return None if value is None else SecretBox.is_sealed(value)

    def set_division(self, client_id: str, division: int) -> None:
        """Remember the division the operator chose at ``hfexact auth login --division``."""
        with self._tx() as conn:
            self._upsert(conn, schema.connections, {
                "client_id": client_id, "division": division, "updated_at": self._clock(),
            }, ("client_id",))

    def get_division(self, client_id: str) -> int | None:
        with self._tx(read_only=True) as conn:
            value = conn.execute(
                select(schema.connections.c.division)
                .where(schema.connections.c.client_id == client_id)
            ).scalar_one_or_none()
        return None if value is None else int(value)
