"""Encryption at rest for tokens and secrets (cryptography's Fernet: AES-128-CBC + HMAC).

A value stored encrypted carries the prefix ``enc:v1:`` so plain rows written before a key was
configured stay readable, and the next save encrypts them. The key comes from
``HFEXACT_SECRET_KEY`` or a file (``HFEXACT_SECRET_KEY_FILE``) that only its owner may read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from hfexact.config import Settings
from hfexact.errors import ConfigError

PREFIX = "enc:v1:"


def generate_key() -> bytes:
    """A fresh key for ``HFEXACT_SECRET_KEY`` (urlsafe base64 of 32 random bytes)."""
    return Fernet.generate_key()


def secret_key_from_settings(settings: Settings) -> bytes | None:
    """The configured key, or None; a key file readable by group or others is refused."""
    if settings.secret_key:
        return settings.secret_key.strip().encode("ascii")
    if not settings.secret_key_file:
        return None
    path = Path(settings.secret_key_file)
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise ConfigError([f"HFEXACT_SECRET_KEY_FILE {path} does not exist"]) from exc
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise ConfigError([
            f"HFEXACT_SECRET_KEY_FILE {path} has mode {stat.S_IMODE(info.st_mode):04o}; "
            f"it must be readable by its owner only (chmod 600 {path})"
        ])
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConfigError([f"HFEXACT_SECRET_KEY_FILE {path} must be owned by the user running "
                           "hfexact"])
    return path.read_text(encoding="ascii").strip().encode("ascii")


class SecretBox:
    """Encrypts values when a key is set, passes them through otherwise.

    Several keys may be given separated by commas: the first encrypts, all decrypt (rotation).
    """

    def __init__(self, key: bytes | None) -> None:
        self._fernet: MultiFernet | None = None
        if key:
            try:
                keys = [Fernet(k.strip()) for k in key.split(b",") if k.strip()]
                self._fernet = MultiFernet(keys)
            except (ValueError, TypeError) as exc:
                raise ConfigError([
                    "HFEXACT_SECRET_KEY is not a Fernet key (urlsafe base64 of 32 bytes); "
                    "create one with `python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`"
                ]) from exc

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def seal(self, value: str) -> str:
        if self._fernet is None:
            return value
        return PREFIX + self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored
        if self._fernet is None:
            raise ConfigError([
                "the store holds encrypted tokens but no HFEXACT_SECRET_KEY or "
                "HFEXACT_SECRET_KEY_FILE is configured"
            ])
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ConfigError([
                "the store's encrypted tokens do not open with the configured secret key "
                "(wrong HFEXACT_SECRET_KEY?)"
            ]) from exc

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return stored.startswith(PREFIX)
