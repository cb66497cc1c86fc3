"""``hfexact auth login``: consent in the browser, catch the redirect, store the tokens.

A tiny HTTP listener on the redirect URI's loopback host and port receives ``?code=&state=``;
the state is checked, the code exchanged (requests-oauthlib), the tokens stored before anything
else, and ``current/Me`` shows which division the user has open. A redirect URI with port 0
listens on a free port and uses that port in the URL (handy for tests and one-off logins).
"""

from __future__ import annotations

import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from hfexact.config import Settings
from hfexact.errors import BridgeError, ConfigError
from hfexact.exact.client import ExactClient
from hfexact.exact.oauth import OAuthClient, OAuthConfig, is_loopback
from hfexact.store import Store

PAGE = (b"<!doctype html><meta charset=utf-8><title>hfexact</title>"
        b"<p>Exact Online is connected to hostfact-exact-bridge. You can close this window.")


class LoginFailed(BridgeError):
    """The consent did not complete (denied, wrong state, timed out, code refused)."""

    kind = "login_failed"


@dataclass(frozen=True)
class Callback:
    code: str | None
    state: str | None
    error: str | None


class CallbackListener:
    """Serves the redirect URI's path on its loopback host/port until one callback arrives."""

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or not is_loopback(redirect_uri):
            raise ConfigError([f"HFEXACT_EXACT_REDIRECT_URI {redirect_uri} is not an "
                               "http:// loopback address the login can listen on"])
        self._path = parts.path or "/"
        self._result: Callback | None = None
        self._arrived = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != listener._path:
                    self.send_error(404)
                    return
                query = parse_qs(url.query)

                def first(name: str) -> str | None:
                    values = query.get(name)
                    return values[0] if values else None

                listener._result = Callback(first("code"), first("state"),
                                            first("error_description") or first("error"))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)
                listener._arrived.set()

            def log_message(self, format: str, *args: Any) -> None:
                return  # the query holds the authorization code: never log it

        host = parts.hostname or "127.0.0.1"
        self._server = HTTPServer((host, 80 if parts.port is None else parts.port), Handler)
        port = self._server.server_address[1]
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.redirect_uri = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="hfexact-login-callback")
        self._thread.start()

    def wait(self, timeout: float) -> Callback:
        if not self._arrived.wait(timeout):
            raise LoginFailed(f"no answer from the browser within {timeout:g} s")
        assert self._result is not None
        return self._result

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@dataclass(frozen=True)
class LoginOutcome:
    me: dict[str, Any]
    division: int | None
    secret_saved: bool


def login(
    settings: Settings,
    store: Store,
    *,
    echo: Callable[[str], None],
    open_browser: bool = True,
    timeout: float = 300.0,
    division: int | None = None,
    save_secret: bool = False,
    force_login: bool = False,
    on_url: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> LoginOutcome:
    """Run the whole consent; the tokens are in the store when this returns."""
    config = OAuthConfig.from_settings(settings, store)
    if not config.redirect_uri:
        raise ConfigError(["HFEXACT_EXACT_REDIRECT_URI is required for `hfexact auth login` "
                           "(e.g. http://127.0.0.1:8766/callback)"])
    listener = CallbackListener(config.redirect_uri)
    try:
        oauth = OAuthClient(replace(config, redirect_uri=listener.redirect_uri), clock=clock)
        url, state = oauth.authorization_url(force_login=force_login)
        echo("Open this address to connect Exact Online (waiting for the redirect to "
             f"{listener.redirect_uri}):\n{url}")
        if on_url is not None:
            on_url(url)
        if open_browser:
            webbrowser.open(url)
        callback = listener.wait(timeout)
    finally:
        listener.close()
    if callback.error:
        raise LoginFailed(f"Exact did not grant access: {callback.error}")
    if not callback.state or not secrets.compare_digest(callback.state, state):
        raise LoginFailed("the redirect's state does not match this login (possible forgery)")
    if not callback.code:
        raise LoginFailed("the redirect carried no authorization code")
    tokens = oauth.exchange_code(callback.code)
    store.save_tokens(config.client_id, tokens)
    if save_secret:
        store.save_client_secret(config.client_id, config.client_secret)
    client = ExactClient(settings, store, clock=clock)
    try:
        me = client.me()
    finally:
        client.close()
    if division is not None:
        store.set_division(config.client_id, division)
    return LoginOutcome(me=me, division=division, secret_saved=save_secret)
