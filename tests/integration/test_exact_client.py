"""The Exact client against the sandbox over HTTP: tokens, rate limits and error mapping.

Every test runs on a SQLite store and on PostgreSQL (the store fixtures are parametrized).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable

import pytest
from tests.fixtures import procs
from tests.fixtures.exact import (  # noqa: F401 - fixtures are found by their name= argument
    exact_env_fixture,
    exact_settings_fixture,
    logged_in_fixture,
    make_client,
    sandbox_login,
)
from tests.fixtures.sandbox import (  # noqa: F401
    DIVISION,
    OTHER_DIVISION,
    SandboxControl,
    sandbox_fixture,
    sandbox_server_fixture,
)
from tests.fixtures.store import (  # noqa: F401
    open_stores_fixture,
    pg_database_fixture,
    store_url_fixture,
)

from hfexact.config import Settings
from hfexact.errors import (
    AuthorizationLost,
    ExactRejected,
    RateLimited,
    TransientError,
)
from hfexact.exact.client import ExactClient
from hfexact.exact.oauth import OAuthClient, OAuthConfig
from hfexact.exact.tokens import TokenManager
from hfexact.store import Store

pytestmark = pytest.mark.integration
JOURNALS = "financial/Journals"
SELECT = {"$select": "Code,Description,Type"}


def journals_path(division: int = DIVISION) -> str:
    return f"/api/v1/{division}/{JOURNALS}"


class TestLogin:
    def test_login_stores_tokens_and_division(
        self, exact_settings: Settings, sandbox: SandboxControl, open_stores: Callable[..., Store]
    ) -> None:
        """The consent completes against the sandbox; tokens and the division are stored."""
        store = open_stores(exact_settings.store_url)
        outcome = sandbox_login(exact_settings, store, sandbox, division=DIVISION)
        assert outcome.me["CurrentDivision"] == DIVISION
        tokens = store.load_tokens("demo")
        assert tokens is not None
        assert 590 < tokens.expires_at - tokens.issued_at <= 600
        assert store.get_division("demo") == DIVISION
        assert sandbox.token_calls() == 1

    def test_calls_after_login(self, exact_settings: Settings, sandbox: SandboxControl,
                               logged_in: Store) -> None:
        """A logged-in client reads a division's journals and records the rate budget."""
        client = make_client(exact_settings, logged_in, sandbox)
        codes = {j["Code"] for j in client.get(DIVISION, JOURNALS, SELECT)}
        assert {"70", "60", "90"} <= codes
        budget = logged_in.get_budget(DIVISION)
        assert budget is not None
        assert budget.minute_limit == 60
        assert budget.minute_remaining == 59
        assert budget.day_remaining == 4999
        assert budget.minute_reset_at is not None
        assert budget.minute_reset_at % 60 == 0  # epoch ms header -> whole minute in seconds

    def test_no_tokens_is_authorization_lost(
        self, exact_settings: Settings, sandbox: SandboxControl,
        open_stores: Callable[..., Store],
    ) -> None:
        """Without a login the client stops with the instruction to log in."""
        client = make_client(exact_settings, open_stores(exact_settings.store_url), sandbox)
        with pytest.raises(AuthorizationLost, match="hfexact auth login"):
            client.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.calls("GET", journals_path()) == 0


class TestRefresh:
    def test_refresh_at_the_right_time(self, exact_settings: Settings, sandbox: SandboxControl,
                                       logged_in: Store) -> None:
        """No refresh before 570 s; after that exactly one, and the new tokens are stored."""
        client = make_client(exact_settings, logged_in, sandbox)
        first = logged_in.load_tokens("demo")
        sandbox.advance(560)
        client.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.token_calls() == 1
        sandbox.advance(15)  # 575 s: past 570 s and within 30 s of the 600 s expiry
        client.get(DIVISION, JOURNALS, SELECT)
        client.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.token_calls() == 2
        second = logged_in.load_tokens("demo")
        assert first is not None
        assert second is not None
        assert second.refresh_token != first.refresh_token
        assert second.issued_at >= first.issued_at + 570

    def test_no_token_in_any_log_line(self, exact_settings: Settings, sandbox: SandboxControl,
                                      logged_in: Store) -> None:
        """Refreshing and calling log what happened, never a token."""
        from structlog.testing import capture_logs

        client = make_client(exact_settings, logged_in, sandbox)
        with capture_logs() as logs:
            sandbox.advance(580)
            client.get(DIVISION, JOURNALS, SELECT)
        tokens = logged_in.load_tokens("demo")
        assert tokens is not None
        assert any(entry["event"] == "exact.token_refreshed" for entry in logs)
        text = repr(logs)
        assert tokens.access_token not in text
        assert tokens.refresh_token not in text

    def test_expired_token_is_refreshed_before_the_call(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """A token long expired is refreshed first, so Exact never sees it (no 401)."""
        client = make_client(exact_settings, logged_in, sandbox)
        sandbox.advance(3600)
        assert client.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.token_calls() == 2
        assert client.calls == 1

    def _late_refresher(self, settings: Settings, store: Store,
                        sandbox: SandboxControl) -> ExactClient:
        """A client that refreshes only at expiry (margin 0), so a 401 can meet an old token."""
        oauth = OAuthClient(OAuthConfig.from_settings(settings, store), clock=sandbox.now)
        tokens = TokenManager(oauth, store, clock=sandbox.now, margin=0)
        return make_client(settings, store, sandbox, tokens=tokens)

    def test_401_on_an_old_token_refreshes_once_then_retries(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """Exact refusing a token at least 570 s old gets one refresh and one retry."""
        client = self._late_refresher(exact_settings, logged_in, sandbox)
        sandbox.advance(580)
        sandbox.fault("GET", journals_path(), status=401)
        assert client.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.token_calls() == 2
        assert client.calls == 2

    def test_second_401_is_authorization_lost(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """A 401 after the refresh is final: AuthorizationLost, no loop."""
        client = self._late_refresher(exact_settings, logged_in, sandbox)
        sandbox.advance(580)
        sandbox.fault("GET", journals_path(), count=5, status=401)
        with pytest.raises(AuthorizationLost):
            client.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.token_calls() == 2
        assert client.calls == 2

    def test_401_on_a_young_token_is_authorization_lost(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """Exact refusing a token younger than 570 s: no refresh is allowed, the worker stops."""
        client = make_client(exact_settings, logged_in, sandbox)
        sandbox.fault("GET", journals_path(), status=401)
        with pytest.raises(AuthorizationLost, match="570 s"):
            client.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.token_calls() == 1
        assert client.calls == 1

    def test_dead_refresh_token_stops_without_retrying(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """An "Old refresh token used." answer is AuthorizationLost at once, once."""
        stale = logged_in.load_tokens("demo")
        assert stale is not None
        client = make_client(exact_settings, logged_in, sandbox)
        sandbox.advance(580)
        client.get(DIVISION, JOURNALS, SELECT)  # refreshes: the stored refresh token rotates
        logged_in.save_tokens("demo", stale)  # as if an old copy had been restored
        other = make_client(exact_settings, logged_in, sandbox)
        sandbox.advance(580)
        with pytest.raises(AuthorizationLost, match="Old refresh token used"):
            other.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.token_calls() == 3
        with pytest.raises(AuthorizationLost):
            other.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.token_calls() == 4  # one token call per attempt, never a loop

    def test_single_flight_8_threads_and_3_processes(
        self, exact_env: dict[str, str], exact_settings: Settings, sandbox: SandboxControl,
        logged_in: Store,
    ) -> None:
        """8 threads here and 3 processes of 8 threads refresh at once: one token call."""
        sandbox.advance(580)
        ctx = multiprocessing.get_context("spawn")
        start, out = ctx.Event(), ctx.Queue()
        children = [ctx.Process(target=procs.exact_calls,
                                args=(exact_env, sandbox.offset, start, 8, out))
                    for _ in range(3)]
        for c in children:
            c.start()
        time.sleep(1.0)  # let the children import and open the store before the start
        local: list[str] = []
        guard = threading.Lock()

        def one() -> None:
            client = make_client(exact_settings, logged_in, sandbox)
            try:
                client.get(DIVISION, JOURNALS, SELECT)
                result = "ok"
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                result = f"{type(exc).__name__}: {exc}"
            with guard:
                local.append(result)

        threads = [threading.Thread(target=one) for _ in range(8)]
        start.set()
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        remote = [r for _ in children for r in out.get(timeout=90)]
        for c in children:
            c.join(30)
        assert local + remote == ["ok"] * 32
        assert sandbox.token_calls() == 2  # the login and exactly one refresh

    def test_crash_right_after_the_token_response(
        self, exact_env: dict[str, str], exact_settings: Settings, sandbox: SandboxControl,
        logged_in: Store,
    ) -> None:
        """A worker killed right after refreshing had already stored the new refresh token."""
        before = logged_in.load_tokens("demo")
        assert before is not None
        sandbox.advance(580)
        sandbox.fault("GET", journals_path(), delay=8)  # the call after the refresh hangs
        ctx = multiprocessing.get_context("spawn")
        child = ctx.Process(target=procs.refresh_then_hang, args=(exact_env, sandbox.offset))
        child.start()
        deadline = time.monotonic() + 30
        while sandbox.state()["faults"] and time.monotonic() < deadline:
            time.sleep(0.02)  # until the child hangs in the call it makes with the new token
        assert sandbox.state()["faults"] == []
        assert sandbox.token_calls() == 2
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        after = logged_in.load_tokens("demo")
        assert after is not None
        assert after.refresh_token != before.refresh_token
        client = make_client(exact_settings, logged_in, sandbox)
        assert client.get(DIVISION, JOURNALS, SELECT)  # the new access token works
        sandbox.advance(580)
        assert client.get(DIVISION, JOURNALS, SELECT)  # and so does the new refresh token
        assert sandbox.token_calls() == 3


class TestRateLimits:
    def test_spent_budget_waits_for_the_reset_without_a_429(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """With the minute spent the client sleeps until the reset instead of earning a 429."""
        sandbox.limits(minutely=3, reset_counters=True)
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            sandbox.advance(seconds)

        client = make_client(exact_settings, logged_in, sandbox, sleep=sleep,
                             max_inline_wait=61)
        for _ in range(5):
            client.get(DIVISION, JOURNALS, SELECT)
        assert len(slept) == 1
        assert 0 < slept[0] <= 61
        assert sandbox.counters()["rate_limited"] == 0
        assert sandbox.calls("GET", journals_path()) == 5

    def test_spent_budget_raises_without_calling(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """When the reset is too far to wait inline, RateLimited is raised and no call is made."""
        sandbox.limits(minutely=2, reset_counters=True)
        client = make_client(exact_settings, logged_in, sandbox, max_inline_wait=0)
        client.get(DIVISION, JOURNALS, SELECT)
        client.get(DIVISION, JOURNALS, SELECT)
        with pytest.raises(RateLimited) as caught:
            client.get(DIVISION, JOURNALS, SELECT)
        assert caught.value.division == DIVISION
        assert caught.value.retry_at > sandbox.now()
        assert caught.value.retry_at <= sandbox.now() + 62
        assert sandbox.calls("GET", journals_path()) == 2
        assert sandbox.counters()["rate_limited"] == 0

    def test_budget_shared_between_clients(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store,
        open_stores: Callable[..., Store],
    ) -> None:
        """Two clients (two store connections) share one budget; another division still flows."""
        sandbox.limits(minutely=5, reset_counters=True)
        a = make_client(exact_settings, logged_in, sandbox, max_inline_wait=0)
        b = make_client(exact_settings, open_stores(exact_settings.store_url), sandbox,
                        max_inline_wait=0)
        for client in (a, b, a, b, a):
            client.get(DIVISION, JOURNALS, SELECT)
        for client in (a, b):
            with pytest.raises(RateLimited):
                client.get(DIVISION, JOURNALS, SELECT)
        assert sandbox.calls("GET", journals_path()) == 5
        assert b.get(OTHER_DIVISION, JOURNALS, SELECT)
        assert sandbox.counters()["rate_limited"] == 0

    def test_surprise_429_waits_and_retries(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """A 429 nobody foresaw is recorded, waited out (when short) and retried once."""
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            sandbox.advance(seconds)

        client = make_client(exact_settings, logged_in, sandbox, sleep=sleep,
                             max_inline_wait=61)
        sandbox.fault("GET", journals_path(), status=429)
        assert client.get(DIVISION, JOURNALS, SELECT)
        assert len(slept) == 1
        assert sandbox.counters()["faults_applied"] == 1  # the 429
        assert sandbox.calls("GET", journals_path()) == 1  # the retry that succeeded

    def test_long_429_is_raised_with_its_reset(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """A daily limit: RateLimited until midnight UTC, and later calls wait without calling."""
        sandbox.limits(daily=1, reset_counters=True)
        client = make_client(exact_settings, logged_in, sandbox, max_inline_wait=5)
        client.get(DIVISION, JOURNALS, SELECT)
        with pytest.raises(RateLimited) as caught:
            client.get(DIVISION, JOURNALS, SELECT)
        assert caught.value.retry_at - sandbox.now() > 5
        assert caught.value.retry_at % 86400 == pytest.approx(1.0)  # midnight + 1 s margin
        assert sandbox.calls("GET", journals_path()) == 1


class TestErrors:
    @pytest.mark.parametrize("fault", [{"status": 503}, {"action": "maintenance_html"}])
    def test_outages_are_transient(self, exact_settings: Settings, sandbox: SandboxControl,
                                   logged_in: Store, fault: dict[str, object]) -> None:
        """503 and the HTML maintenance page are transient; the next call works."""
        client = make_client(exact_settings, logged_in, sandbox)
        sandbox.fault("GET", journals_path(), **fault)
        with pytest.raises(TransientError) as caught:
            client.get(DIVISION, JOURNALS, SELECT)
        assert type(caught.value) is TransientError
        assert client.get(DIVISION, JOURNALS, SELECT)

    def test_timeout_is_transient(self, exact_env: dict[str, str], sandbox: SandboxControl,
                                  logged_in: Store) -> None:
        """A response slower than the timeout is a transient error, not a hang."""
        settings = Settings.from_env({**exact_env, "HFEXACT_HTTP_TIMEOUT_SECONDS": "0.5"})
        client = make_client(settings, logged_in, sandbox)
        sandbox.fault("GET", journals_path(), delay=2)
        started = time.monotonic()
        with pytest.raises(TransientError, match="timed out"):
            client.get(DIVISION, JOURNALS, SELECT)
        assert time.monotonic() - started < 1.9

    def test_connection_refused_is_transient(
        self, exact_env: dict[str, str], sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """Nobody listening is a transient error."""
        settings = Settings.from_env({**exact_env, "HFEXACT_EXACT_BASE_URL": "http://127.0.0.1:9"})
        client = ExactClient(settings, logged_in, clock=sandbox.now)
        with pytest.raises(TransientError, match="connection failed"):
            client.get(DIVISION, JOURNALS, SELECT)

    def test_validation_500_is_permanent_with_dutch_text(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """A business-validation 500 is ExactRejected carrying Exact's Dutch message."""
        client = make_client(exact_settings, logged_in, sandbox)
        with pytest.raises(ExactRejected) as caught:
            client.post(DIVISION, "crm/Accounts", {"Status": "C"})
        assert caught.value.status == 500
        assert caught.value.exact_message == "Verplicht: Naam"
        assert sandbox.calls("POST", f"/api/v1/{DIVISION}/crm/Accounts") == 1

    def test_not_found_is_permanent(self, exact_settings: Settings, sandbox: SandboxControl,
                                    logged_in: Store) -> None:
        """An unknown entity is a 404 rejection."""
        client = make_client(exact_settings, logged_in, sandbox)
        with pytest.raises(ExactRejected) as caught:
            client.get(DIVISION, "crm/NoSuchThing", SELECT)
        assert caught.value.status == 404


class TestVerbs:
    def test_post_put_get_delete_an_account(
        self, exact_settings: Settings, sandbox: SandboxControl, logged_in: Store
    ) -> None:
        """Create (Prefer: return=representation), update, read back by padded code, delete."""
        from hfexact.exact import odata

        client = make_client(exact_settings, logged_in, sandbox)
        created = client.post(DIVISION, "crm/Accounts", {
            "Name": "O'Brien Hosting", "Code": odata.pad_code("1001"), "Status": "C",
            "Country": "NL"})
        assert created["Name"] == "O'Brien Hosting"
        path = odata.entity_path("crm/Accounts", created["ID"])
        client.put(DIVISION, path, {"Name": "O'Brien & Zn"})
        rows = client.get(DIVISION, "crm/Accounts", {
            "$filter": f"Code eq {odata.quote(odata.pad_code('1001'))}",
            "$select": "ID,Code,Name"})
        assert [(r["Name"], r["Code"]) for r in rows] == [("O'Brien & Zn", odata.pad_code(1001))]
        client.delete(DIVISION, path)
        assert client.get(DIVISION, "crm/Accounts", {
            "$filter": f"ID eq {odata.guid(created['ID'])}", "$select": "ID"}) == []

    def test_iterate_follows_next(self, exact_settings: Settings, sandbox: SandboxControl,
                                  logged_in: Store) -> None:
        """iterate() reads every page by following __next."""
        from hfexact.exact import odata

        sandbox.limits(minutely=500, reset_counters=True)
        client = make_client(exact_settings, logged_in, sandbox)
        for n in range(65):
            client.post(DIVISION, "crm/Accounts", {"Name": f"Klant {n}", "Status": "C",
                                                   "Code": odata.pad_code(2000 + n)})
        params = {"$filter": "Status eq 'C'", "$select": "ID,Code"}
        first_page = client.get(DIVISION, "crm/Accounts", params)
        everything = list(client.iterate(DIVISION, "crm/Accounts", params))
        assert len(first_page) == 60
        assert len(everything) >= 65
        assert len({r["ID"] for r in everything}) == len(everything)

    def test_me(self, exact_settings: Settings, sandbox: SandboxControl,
                logged_in: Store) -> None:
        """current/Me names the division the user has open."""
        assert make_client(exact_settings, logged_in, sandbox).me()["CurrentDivision"] == DIVISION
