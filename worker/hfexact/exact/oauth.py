"""The OAuth2 authorization-code flow against Exact, through requests-oauthlib.

Exact (reference §1): authorize at ``{base}/api/oauth2/auth``, tokens at ``{base}/api/oauth2/token``
with ``client_id`` and ``client_secret`` as form fields; ``expires_in`` is a string ("600");
every refresh returns a new refresh token and the old one is dead from then on.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from oauthlib.oauth2 import OAuth2Error  # type: ignore[import-untyped]
from requests_oauthlib import OAuth2Session

from hfexact.config import Settings
from hfexact.errors import ConfigError, TransientError
from hfexact.exact.errors_map import map_request_exception, map_token_response
from hfexact.store import Store, TokenSet

# requests-oauthlib logs token responses at DEBUG level: keep those loggers quiet for good
for _name in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def permit_loopback_http(url: str) -> None:
    """Let oauthlib talk plain HTTP to a loopback address (the sandbox); refuse it elsewhere.

    oauthlib has no parameter for this, only the OAUTHLIB_INSECURE_TRANSPORT variable.
    """
    if urlsplit(url).scheme == "https":
        return
    if not is_loopback(url):
        raise ConfigError([f"{url} must use https:// (plain http is allowed on loopback only)"])
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


@dataclass(frozen=True)
class OAuthConfig:
    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str | None = None
    timeout: float = 30.0

    @property
    def auth_url(self) -> str:
        return self.base_url.rstrip("/") + "/api/oauth2/auth"

    @property
    def token_url(self) -> str:
        return self.base_url.rstrip("/") + "/api/oauth2/token"

    @classmethod
    def from_settings(cls, settings: Settings, store: Store | None = None) -> OAuthConfig:
        """Client id from the settings; the secret from the settings or else from the store."""
        settings.require("exact_client_id")
        assert settings.exact_client_id is not None
        secret = settings.exact_client_secret
        if not secret and store is not None:
            secret = store.load_client_secret(settings.exact_client_id)
        if not secret:
            raise ConfigError(["HFEXACT_EXACT_CLIENT_SECRET is required (or store it once with "
                               "`hfexact auth login --save-secret`)"])
        return cls(settings.exact_base_url, settings.exact_client_id, secret,
                   settings.exact_redirect_uri, settings.http_timeout_seconds)


class OAuthClient:
    """Authorization URL, code exchange and refresh; every error mapped to the bridge's tree."""

    def __init__(self, config: OAuthConfig, *, clock: Callable[[], float] = time.time) -> None:
        permit_loopback_http(config.base_url)
        self.config = config
        self._clock = clock
        #: token-endpoint calls made by this client (for tests and metrics)
        self.token_calls = 0

    def _session(self, redirect_uri: str | None = None, state: str | None = None) -> OAuth2Session:
        session = OAuth2Session(
            self.config.client_id, redirect_uri=redirect_uri or self.config.redirect_uri,
            state=state,
        )
        hook = self._check_token_response
        session.register_compliance_hook("access_token_response", hook)
        session.register_compliance_hook("refresh_token_response", hook)
        return session

    def _check_token_response(self, response: requests.Response) -> requests.Response:
        error = map_token_response(response, now=self._clock())
        if error is not None:
            raise error
        return response

    def authorization_url(
        self, *, redirect_uri: str | None = None, state: str | None = None,
        force_login: bool = False,
    ) -> tuple[str, str]:
        """``(url, state)`` for the user's browser; check ``state`` on the way back."""
        uri = redirect_uri or self.config.redirect_uri
        if not uri:
            raise ConfigError(["HFEXACT_EXACT_REDIRECT_URI is required for `hfexact auth login`"])
        with self._session(uri, state) as session:
            url, new_state = session.authorization_url(
                self.config.auth_url, force_login="1" if force_login else "0"
            )
        return str(url), str(new_state)

    def exchange_code(self, code: str, *, redirect_uri: str | None = None) -> TokenSet:
        """Trade the authorization code (valid once, for minutes) for the first tokens."""
        with self._session(redirect_uri) as session:
            return self._token_call(lambda: session.fetch_token(
                self.config.token_url, code=code, include_client_id=True,
                client_secret=self.config.client_secret, timeout=self.config.timeout,
            ))

    def refresh(self, refresh_token: str) -> TokenSet:
        """One refresh: the answer holds a new refresh token; the one passed in is dead now."""
        with self._session() as session:
            return self._token_call(lambda: session.refresh_token(
                self.config.token_url, refresh_token=refresh_token,
                client_id=self.config.client_id, client_secret=self.config.client_secret,
                timeout=self.config.timeout,
            ), previous_refresh=refresh_token)

    def _token_call(
        self, call: Callable[[], Any], previous_refresh: str | None = None
    ) -> TokenSet:
        sent_at = self._clock()
        self.token_calls += 1
        try:
            token = call()
        except requests.RequestException as exc:
            raise map_request_exception(exc, endpoint="POST oauth2/token") from None
        except (OAuth2Error, ValueError, Warning) as exc:
            raise TransientError(
                f"Exact's token answer could not be read ({type(exc).__name__})"
            ) from None
        received_at = self._clock()
        try:
            lifetime = float(token.get("expires_in") or 600)
        except (TypeError, ValueError):
            lifetime = 600.0
        access, refresh = token.get("access_token"), token.get("refresh_token")
        refresh = refresh or previous_refresh
        if not access or not refresh:
            raise TransientError("Exact's token answer lacks an access or refresh token")
        return TokenSet(
            access_token=str(access), refresh_token=str(refresh),
            # expiry counted from when we asked, the 570 s rule from when the answer came
            expires_at=sent_at + lifetime, issued_at=received_at,
        )
