"""Access tokens for every thread and process of the bridge, refreshed exactly once.

Rules (reference §1.3-1.5, design §3):
- refresh when 30 s of the access token remain, never sooner than 570 s after it was issued;
- one refresh at a time per client id across threads and processes: ``store.token_lock``, then
  re-read the stored tokens and skip the call when another worker already refreshed;
- the new tokens are committed to the store before the new access token is used; if that save
  fails the tokens stay in memory (unused) and the save is retried first on the next request;
- a refused refresh token ("Old refresh token used.", expired, invalid) raises
  AuthorizationLost at once: never a retry loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from hfexact import crashpoints
from hfexact.errors import AuthorizationLost, TransientError
from hfexact.exact.oauth import OAuthClient
from hfexact.logs import get_logger
from hfexact.store import Store, StoreUnavailable, TokenSet

REFRESH_MARGIN = 30.0
MIN_AGE = 570.0

log = get_logger("hfexact.exact.tokens")


def refresh_due_at(tokens: TokenSet, *, margin: float = REFRESH_MARGIN,
                   min_age: float = MIN_AGE) -> float:
    """When these tokens should be refreshed: ``margin`` before expiry, not before ``min_age``."""
    return max(tokens.expires_at - margin, tokens.issued_at + min_age)


class TokenManager:
    def __init__(
        self,
        oauth: OAuthClient,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        lock_timeout: float = 30.0,
        margin: float = REFRESH_MARGIN,
        min_age: float = MIN_AGE,
        save_attempts: int = 5,
    ) -> None:
        self.oauth = oauth
        self.store = store
        self.client_id = oauth.config.client_id
        self._clock = clock
        self._lock_timeout = lock_timeout
        self._margin = margin
        self._min_age = min_age
        self._save_attempts = save_attempts
        self._cached: TokenSet | None = None
        self._unsaved: TokenSet | None = None
        self._guard = threading.Lock()

    def due_at(self, tokens: TokenSet) -> float:
        return refresh_due_at(tokens, margin=self._margin, min_age=self._min_age)

    def current(self) -> TokenSet:
        """The tokens this process uses now (from memory, else from the store)."""
        with self._guard:
            if self._unsaved is not None:
                self._persist(self._unsaved)
            cached = self._cached
        if cached is None:
            cached = self._load()
        return cached

    def access_token(self) -> str:
        """A usable access token, refreshing first when it is due."""
        tokens = self.current()
        if self._usable(tokens, self._clock()):
            return tokens.access_token
        return self._refresh(seen=tokens)

    def refresh_if_allowed(self) -> bool:
        """Refresh now if Exact allows it (570 s after the last); a heartbeat keeps an idle
        connection's refresh token from expiring (30 days unused). Returns whether it did."""
        with self.store.token_lock(self.client_id, timeout=self._lock_timeout):
            current = self._load()
            if self._clock() < current.issued_at + self._min_age:
                return False
            self._refresh_locked(current)
            return True

    def after_unauthorized(self, rejected: str) -> str:
        """Exact refused ``rejected`` (401): a token to retry with once, or AuthorizationLost.

        Another worker may have refreshed meanwhile (then its token is used); otherwise the
        tokens are refreshed if they are old enough (570 s), else the refusal is final.
        """
        with self.store.token_lock(self.client_id, timeout=self._lock_timeout):
            current = self._load()
            if current.access_token != rejected:
                return current.access_token
            if self._clock() < current.issued_at + self._min_age:
                raise AuthorizationLost(
                    "Exact refused an access token issued less than 570 s ago; consent may "
                    "have been withdrawn"
                )
            return self._refresh_locked(current)

    # -- internals ---------------------------------------------------------------------------

    def _load(self) -> TokenSet:
        tokens = self.store.load_tokens(self.client_id)
        if tokens is None:
            raise AuthorizationLost(f"no Exact tokens stored for client {self.client_id!r}")
        with self._guard:
            self._cached = tokens
        return tokens

    def _refresh(self, seen: TokenSet) -> str:
        with self.store.token_lock(self.client_id, timeout=self._lock_timeout):
            current = self._load()  # re-read: another worker may have refreshed meanwhile
            if self._usable(current, self._clock()):
                if current.refresh_token != seen.refresh_token:
                    log.debug("exact.token_reused", reason="refreshed by another worker")
                return current.access_token
            return self._refresh_locked(current)

    def _usable(self, tokens: TokenSet, now: float) -> bool:
        return now < self.due_at(tokens) and now < tokens.expires_at

    def _refresh_locked(self, current: TokenSet) -> str:
        """Refresh while holding the token lock; ``current`` was just read from the store."""
        now = self._clock()
        if now < current.issued_at + self._min_age:
            if now < current.expires_at:
                return current.access_token
            raise TransientError(
                "the access token expired before Exact allows a refresh (570 s); retry shortly"
            )
        new = self.oauth.refresh(current.refresh_token)
        with self._guard:
            self._unsaved = new
            self._persist(new)
        crashpoints.reached("after_token_saved")  # test-only fault hook, inert unless armed
        log.info("exact.token_refreshed", client_id=self.client_id,
                 expires_in=round(new.expires_at - self._clock()))
        return new.access_token

    def _persist(self, tokens: TokenSet) -> None:
        """Save (retrying a briefly unavailable store); caller holds ``_guard``."""
        for attempt in Retrying(
            retry=retry_if_exception_type(StoreUnavailable),
            stop=stop_after_attempt(self._save_attempts),
            wait=wait_exponential(multiplier=0.2, max=5),
            reraise=True,
        ):
            with attempt:
                self.store.save_tokens(self.client_id, tokens)
        self._cached = tokens
        self._unsaved = None
