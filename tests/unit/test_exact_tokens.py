"""The token manager's rules, with a scripted token endpoint (our own OAuthClient stand-in)
and a real SQLite store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hfexact.errors import AuthorizationLost, TransientError
from hfexact.exact.oauth import OAuthClient, OAuthConfig
from hfexact.exact.tokens import TokenManager, refresh_due_at
from hfexact.store import Store, StoreUnavailable, TokenSet, open_store

T0 = 1_800_000_000.0


class ScriptedOAuth(OAuthClient):
    """Answers refreshes from a script instead of HTTP; records every call."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(OAuthConfig("https://start.exactonline.nl", "app", "secret"),
                         clock=clock)
        self.refreshed_with: list[str] = []
        self.fail_with: Exception | None = None

    def refresh(self, refresh_token: str) -> TokenSet:
        self.refreshed_with.append(refresh_token)
        if self.fail_with is not None:
            raise self.fail_with
        n = len(self.refreshed_with)
        now = self._clock()
        return TokenSet(f"access-{n}", f"refresh-{n}", now + 600, now)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    store.save_tokens("app", TokenSet("access-0", "refresh-0", T0 + 600, T0))
    return store


@pytest.fixture
def oauth(clock: Clock) -> ScriptedOAuth:
    return ScriptedOAuth(clock)


def manager(oauth: ScriptedOAuth, store: Store, clock: Clock, **kw: float) -> TokenManager:
    return TokenManager(oauth, store, clock=clock, **kw)  # type: ignore[arg-type]


class TestDueTime:
    def test_due_30_s_before_expiry_but_not_before_570(self) -> None:
        """Normal tokens are due at 570 s; short-lived ones still wait for 570 s."""
        assert refresh_due_at(TokenSet("a", "r", T0 + 600, T0)) == T0 + 570
        assert refresh_due_at(TokenSet("a", "r", T0 + 3600, T0)) == T0 + 3570
        assert refresh_due_at(TokenSet("a", "r", T0 + 300, T0)) == T0 + 570


class TestAccessToken:
    def test_fresh_token_is_used_as_is(self, oauth: ScriptedOAuth, store: Store,
                                       clock: Clock) -> None:
        """Before 570 s nothing is refreshed."""
        tokens = manager(oauth, store, clock)
        clock.now = T0 + 569
        assert tokens.access_token() == "access-0"
        assert oauth.refreshed_with == []

    def test_due_token_is_refreshed_once_and_stored_first(
        self, oauth: ScriptedOAuth, store: Store, clock: Clock
    ) -> None:
        """At 570 s one refresh happens; the new set is in the store when the token is used."""
        tokens = manager(oauth, store, clock)
        clock.now = T0 + 570
        assert tokens.access_token() == "access-1"
        stored = store.load_tokens("app")
        assert stored is not None
        assert (stored.access_token, stored.refresh_token) == ("access-1", "refresh-1")
        assert tokens.access_token() == "access-1"
        assert oauth.refreshed_with == ["refresh-0"]

    def test_refresh_by_another_worker_is_reused(
        self, oauth: ScriptedOAuth, store: Store, clock: Clock
    ) -> None:
        """After taking the lock the stored tokens are re-read: no second refresh."""
        tokens = manager(oauth, store, clock)
        tokens.access_token()  # caches access-0
        clock.now = T0 + 575
        store.save_tokens("app", TokenSet("other-access", "other-refresh", T0 + 1175, T0 + 575))
        assert tokens.access_token() == "other-access"
        assert oauth.refreshed_with == []

    def test_no_tokens(self, oauth: ScriptedOAuth, tmp_path: Path, clock: Clock) -> None:
        """Never logged in: AuthorizationLost telling the operator what to run."""
        empty = open_store(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        with pytest.raises(AuthorizationLost, match="auth login"):
            manager(oauth, empty, clock).access_token()

    def test_dead_refresh_token_is_not_retried(
        self, oauth: ScriptedOAuth, store: Store, clock: Clock
    ) -> None:
        """An AuthorizationLost from the token endpoint surfaces after exactly one call."""
        oauth.fail_with = AuthorizationLost("Old refresh token used.")
        clock.now = T0 + 600
        with pytest.raises(AuthorizationLost):
            manager(oauth, store, clock).access_token()
        assert oauth.refreshed_with == ["refresh-0"]

    def test_expired_before_570_is_transient(self, oauth: ScriptedOAuth, store: Store,
                                             clock: Clock) -> None:
        """A token that expired early cannot be refreshed before 570 s: retry shortly."""
        store.save_tokens("app", TokenSet("short", "refresh-s", T0 + 300, T0))
        clock.now = T0 + 400
        tokens = manager(oauth, store, clock, margin=400)
        with pytest.raises(TransientError, match="570 s"):
            tokens.access_token()
        assert oauth.refreshed_with == []


class TestPersistence:
    def test_brief_store_outage_is_retried(self, oauth: ScriptedOAuth, store: Store,
                                           clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
        """Saving the new tokens is retried while the store is briefly unavailable."""
        real_save = store.save_tokens
        failures = [StoreUnavailable("down"), StoreUnavailable("down")]

        def flaky_save(client_id: str, tokens: TokenSet) -> None:
            if failures:
                raise failures.pop()
            real_save(client_id, tokens)

        monkeypatch.setattr(store, "save_tokens", flaky_save)
        clock.now = T0 + 580
        assert manager(oauth, store, clock).access_token() == "access-1"
        stored = store.load_tokens("app")
        assert stored is not None
        assert stored.refresh_token == "refresh-1"

    def test_unsaved_tokens_are_never_used(self, oauth: ScriptedOAuth, store: Store,
                                           clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
        """If the new tokens cannot be saved they are not used; the next request saves first."""
        real_save = store.save_tokens

        def down(client_id: str, tokens: TokenSet) -> None:
            raise StoreUnavailable("down")

        monkeypatch.setattr(store, "save_tokens", down)
        tokens = manager(oauth, store, clock, save_attempts=2)
        clock.now = T0 + 580
        with pytest.raises(StoreUnavailable):
            tokens.access_token()
        monkeypatch.setattr(store, "save_tokens", real_save)
        assert tokens.access_token() == "access-1"
        stored = store.load_tokens("app")
        assert stored is not None
        assert stored.refresh_token == "refresh-1"
        assert oauth.refreshed_with == ["refresh-0"]  # no second refresh


class TestUnauthorized:
    def test_someone_else_refreshed(self, oauth: ScriptedOAuth, store: Store,
                                    clock: Clock) -> None:
        """A 401 on a token that is no longer the stored one retries with the stored one."""
        store.save_tokens("app", TokenSet("newer", "refresh-n", T0 + 700, T0 + 100))
        clock.now = T0 + 200
        assert manager(oauth, store, clock).after_unauthorized("access-0") == "newer"
        assert oauth.refreshed_with == []

    def test_old_enough_token_is_refreshed(self, oauth: ScriptedOAuth, store: Store,
                                           clock: Clock) -> None:
        """A 401 on a token at least 570 s old refreshes once."""
        clock.now = T0 + 575
        assert manager(oauth, store, clock).after_unauthorized("access-0") == "access-1"

    def test_young_token_refused_means_lost(self, oauth: ScriptedOAuth, store: Store,
                                            clock: Clock) -> None:
        """A 401 on a young token cannot be cured by a refresh: AuthorizationLost."""
        clock.now = T0 + 100
        with pytest.raises(AuthorizationLost):
            manager(oauth, store, clock).after_unauthorized("access-0")
        assert oauth.refreshed_with == []


class TestHeartbeat:
    def test_refresh_if_allowed(self, oauth: ScriptedOAuth, store: Store, clock: Clock) -> None:
        """The heartbeat refreshes only when Exact allows it, and stores the result."""
        tokens = manager(oauth, store, clock)
        clock.now = T0 + 500
        assert not tokens.refresh_if_allowed()
        clock.now = T0 + 3600
        assert tokens.refresh_if_allowed()
        stored = store.load_tokens("app")
        assert stored is not None
        assert stored.refresh_token == "refresh-1"
        assert oauth.refreshed_with == ["refresh-0"]
