"""Tokens and the client secret: round trip, encryption at rest, and the cross-process lock."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from hfexact.config import Settings
from hfexact.errors import ConfigError
from hfexact.store import (
    LockTimeout,
    SecretBox,
    Store,
    TokenSet,
    generate_key,
    schema,
    secret_key_from_settings,
)
from tests.fixtures import procs

TOKENS = TokenSet("gAAAA-access-" + "x" * 40, "yIA2!IAAA-refresh-1", 1000.0 + 600, 1000.0)


def _raw_row(store: Store, table: schema.Table, key: str) -> dict[str, object]:
    with store.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.client_id == key)).one()
        conn.rollback()
    return dict(row._mapping)


class TestTokens:
    def test_missing_tokens_are_none(self, store: Store) -> None:
        """A client that never logged in has no tokens."""
        assert store.load_tokens("demo") is None
        assert store.token_info("demo") is None

    def test_round_trip_and_replace(self, store: Store) -> None:
        """What is saved is loaded back; a second save replaces the first."""
        store.save_tokens("demo", TOKENS)
        assert store.load_tokens("demo") == TOKENS
        newer = TokenSet("a2", "r2", 2200.0, 1600.0)
        store.save_tokens("demo", newer)
        assert store.load_tokens("demo") == newer
        assert store.load_tokens("other") is None

    def test_plain_without_key(self, store: Store) -> None:
        """Without a key the tokens are stored as they are, and token_info says so."""
        store.save_tokens("demo", TOKENS)
        info = store.token_info("demo")
        assert info is not None
        assert not info.encrypted
        assert info.refresh_token_present
        assert not store.encrypts_secrets

    def test_encrypted_at_rest(self, store_url: str, open_stores: Callable[..., Store]) -> None:
        """With a key, neither token appears in the database row."""
        store = open_stores(store_url, secret_key=generate_key())
        store.save_tokens("demo", TOKENS)
        row = _raw_row(store, schema.tokens, "demo")
        assert TOKENS.refresh_token not in str(row)
        assert TOKENS.access_token not in str(row)
        assert str(row["refresh_token"]).startswith("enc:v1:")
        assert store.load_tokens("demo") == TOKENS
        info = store.token_info("demo")
        assert info is not None
        assert info.encrypted

    def test_encrypted_tokens_need_the_key(
        self, store_url: str, open_stores: Callable[..., Store]
    ) -> None:
        """Encrypted tokens opened without the key, or with another key, fail loudly."""
        open_stores(store_url, secret_key=generate_key()).save_tokens("demo", TOKENS)
        with pytest.raises(ConfigError, match="no HFEXACT_SECRET_KEY"):
            open_stores(store_url).load_tokens("demo")
        with pytest.raises(ConfigError, match="wrong HFEXACT_SECRET_KEY"):
            open_stores(store_url, secret_key=generate_key()).load_tokens("demo")

    def test_plain_rows_are_encrypted_on_next_save(
        self, store_url: str, open_stores: Callable[..., Store]
    ) -> None:
        """Turning encryption on later keeps old rows readable and seals them on the next save."""
        open_stores(store_url).save_tokens("demo", TOKENS)
        keyed = open_stores(store_url, secret_key=generate_key())
        assert keyed.load_tokens("demo") == TOKENS
        keyed.save_tokens("demo", TOKENS)
        assert str(_raw_row(keyed, schema.tokens, "demo")["refresh_token"]).startswith("enc:v1:")

    def test_key_rotation(self, store_url: str, open_stores: Callable[..., Store]) -> None:
        """A comma-separated key list decrypts with any key and encrypts with the first."""
        old, new = generate_key(), generate_key()
        open_stores(store_url, secret_key=old).save_tokens("demo", TOKENS)
        assert open_stores(store_url, secret_key=new + b"," + old).load_tokens("demo") == TOKENS

    def test_client_secret_and_division(
        self, store_url: str, open_stores: Callable[..., Store]
    ) -> None:
        """The client secret is sealed like the tokens; the chosen division is kept beside it."""
        store = open_stores(store_url, secret_key=generate_key())
        assert store.load_client_secret("demo") is None
        assert store.client_secret_encrypted("demo") is None
        store.save_client_secret("demo", "s3cret-value")
        store.set_division("demo", 123456)
        assert store.load_client_secret("demo") == "s3cret-value"
        assert store.get_division("demo") == 123456
        assert store.client_secret_encrypted("demo") is True
        assert "s3cret-value" not in str(_raw_row(store, schema.connections, "demo"))


class TestSecretKeyFromSettings:
    def test_key_from_environment(self) -> None:
        """HFEXACT_SECRET_KEY is used as it is."""
        key = generate_key()
        settings = Settings.from_env({"HFEXACT_SECRET_KEY": key.decode()})
        assert secret_key_from_settings(settings) == key
        assert secret_key_from_settings(Settings.from_env({})) is None

    def test_key_file_owner_only(self, tmp_path: Path) -> None:
        """A 0600 key file is read; a file others can read is refused."""
        path = tmp_path / "key"
        path.write_bytes(generate_key() + b"\n")
        path.chmod(0o600)
        settings = Settings.from_env({"HFEXACT_SECRET_KEY_FILE": str(path)})
        key = secret_key_from_settings(settings)
        assert key is not None
        assert SecretBox(key).enabled
        path.chmod(0o644)
        with pytest.raises(ConfigError, match="chmod 600"):
            secret_key_from_settings(settings)
        path.chmod(0o640)
        with pytest.raises(ConfigError, match="mode 0640"):
            secret_key_from_settings(settings)

    def test_missing_key_file(self, tmp_path: Path) -> None:
        """A configured key file that does not exist is a configuration error."""
        settings = Settings.from_env({"HFEXACT_SECRET_KEY_FILE": str(tmp_path / "nope")})
        with pytest.raises(ConfigError, match="does not exist"):
            secret_key_from_settings(settings)

    def test_bad_key(self) -> None:
        """A key that is not a Fernet key is refused with instructions."""
        with pytest.raises(ConfigError, match="not a Fernet key"):
            SecretBox(b"too-short")


class TestTokenLock:
    def test_threads_take_turns(self, store: Store) -> None:
        """Only one thread at a time is inside the token lock."""
        inside = 0
        most = 0
        guard = threading.Lock()

        def work() -> None:
            nonlocal inside, most
            with store.token_lock("demo"):
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.02)
                with guard:
                    inside -= 1

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert most == 1

    def test_other_clients_are_not_blocked(self, store: Store) -> None:
        """The lock is per client id."""
        with store.token_lock("demo"), store.token_lock("other", timeout=1):
            pass

    def test_other_process_waits_then_times_out(self, store_url: str, store: Store) -> None:
        """While another process holds the lock, taking it times out with LockTimeout."""
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        child = ctx.Process(target=procs.hold_token_lock, args=(store_url, "demo", ready, 3.0))
        child.start()
        try:
            assert ready.wait(30)
            held_since = started = time.monotonic()
            with pytest.raises(LockTimeout), store.token_lock("demo", timeout=0.5):
                pass
            assert 0.4 < time.monotonic() - started < 3.0
            with store.token_lock("demo", timeout=20):
                waited = time.monotonic() - held_since
            assert waited > 2.0  # the child held it for 3 s
        finally:
            child.join(30)
        assert child.exitcode == 0

    def test_lock_dies_with_its_holder(self, store_url: str, store: Store) -> None:
        """A holder killed with SIGKILL releases the lock at once."""
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        child = ctx.Process(target=procs.hold_token_lock, args=(store_url, "demo", ready, 60.0))
        child.start()
        assert ready.wait(30)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        started = time.monotonic()
        with store.token_lock("demo", timeout=10):
            pass
        assert time.monotonic() - started < 5
