"""OAuth2 as Exact runs it: authorization code grant, rotating single-use refresh tokens.

Rules (reference §1):
- codes are single use and live 180 s; access tokens live 600 s (``expires_in`` is the string
  ``"600"``); refresh tokens rotate: a refresh returns a new one and kills the old one, and a
  reused one answers 401 ``unauthorized_client`` "Old refresh token used.";
- a refresh token unused for 30 days answers 400 ``invalid_request`` "The refresh token expired
  at …";
- a new access token less than 570 s after the client's last one answers 401 with the KB's
  reason "Access Token not expired"; the presented refresh token stays valid (the call was
  refused, nothing was issued); ``early_refresh_rejected=False`` turns the rule off;
- at most ``token_calls_per_day`` (200) token calls per client and UTC day, then 429;
- wrong client id/secret: 400 ``invalid_request`` (Exact's answer, not RFC 6749's 401).
Client credentials are accepted in the form body (Exact's documented way) or as HTTP Basic
(what requests-oauthlib sends by default).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from hfexact.sandbox.clock import SandboxClock
from hfexact.sandbox.failures import OAuthFailure
from hfexact.sandbox.options import ClientSpec

ACCESS_TTL = 600
CODE_TTL = 180
REFRESH_IDLE_TTL = 30 * 24 * 3600
MIN_REFRESH_INTERVAL = 570
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class AuthorizePageError(Exception):
    """The authorize endpoint shows an error page instead of redirecting."""


@dataclass
class Grant:
    client_id: str
    user_id: str
    expires_at: float


@dataclass
class RefreshRecord:
    client_id: str
    user_id: str
    last_used: float
    dead: bool = False


def user_id_for(client_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact-sandbox-user/{client_id}"))


def _is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS


def _stamp(epoch: float) -> str:
    value = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return f"{value.month}/{value.day}/{value.year} {value.strftime('%I:%M:%S %p').lstrip('0')}"


class OAuthServer:
    def __init__(self, clients: tuple[ClientSpec, ...], clock: SandboxClock, *,
                 early_refresh_rejected: bool = True, calls_per_day: int = 200) -> None:
        self.clock = clock
        self.early_refresh_rejected = early_refresh_rejected
        self.calls_per_day = calls_per_day
        self.clients = {c.client_id: c for c in clients}
        self.reset()

    def reset(self) -> None:
        self.codes: dict[str, tuple[str, str, float]] = {}
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, RefreshRecord] = {}
        self.last_issued: dict[str, float] = {}
        self.calls: dict[tuple[str, str], int] = {}

    # --- /api/oauth2/auth ---------------------------------------------------------------
    def authorize(self, args: Mapping[str, str]) -> str:
        client = self.clients.get(args.get("client_id", ""))
        if client is None:
            raise AuthorizePageError("Unknown client_id: this app is not registered.")
        redirect = args.get("redirect_uri", "")
        if not self._redirect_allowed(client, redirect):
            raise AuthorizePageError("The redirect_uri does not match the app's redirect URI.")
        if args.get("response_type") != "code":
            raise AuthorizePageError("response_type must be 'code'.")
        code = "stampNL001." + secrets.token_urlsafe(48)
        self.codes[code] = (client.client_id, redirect, self.clock.now() + CODE_TTL)
        query = {"code": code}
        if args.get("state") is not None:
            query["state"] = args["state"]
        sep = "&" if "?" in redirect else "?"
        return redirect + sep + urlencode(query)

    @staticmethod
    def _redirect_allowed(client: ClientSpec, redirect: str) -> bool:
        if client.redirect_uri is None:
            return _is_loopback(redirect)
        return redirect == client.redirect_uri

    # --- /api/oauth2/token --------------------------------------------------------------
    def token(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> dict[str, str]:
        client_id = form.get("client_id") or (basic[0] if basic else "")
        secret = form.get("client_secret") or (basic[1] if basic else "")
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, secret or ""):
            raise OAuthFailure(400, "invalid_request")
        now = self.clock.now()
        day = dt.datetime.fromtimestamp(now, tz=dt.UTC).date().isoformat()
        used = self.calls.get((client_id, day), 0)
        if used >= self.calls_per_day:
            raise OAuthFailure(429, "invalid_request",
                               f"Too many token requests: at most {self.calls_per_day} a day.")
        self.calls[(client_id, day)] = used + 1
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._from_code(client, form, now)
        if grant == "refresh_token":
            return self._from_refresh(client, form, now)
        raise OAuthFailure(400, "unsupported_grant_type")

    def token_calls_today(self) -> dict[str, int]:
        day = dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC).date().isoformat()
        return {cid: n for (cid, d), n in self.calls.items() if d == day}

    def _from_code(self, client: ClientSpec, form: Mapping[str, str], now: float) -> dict[str, str]:
        entry = self.codes.pop(form.get("code", ""), None)
        if entry is None:
            raise OAuthFailure(400, "invalid_grant", "The authorization code is invalid or "
                                                     "was already used.")
        owner, redirect, expires = entry
        if owner != client.client_id or expires < now:
            raise OAuthFailure(400, "invalid_grant", "The authorization code has expired.")
        if form.get("redirect_uri") and form["redirect_uri"] != redirect:
            raise OAuthFailure(400, "invalid_grant", "The redirect_uri does not match.")
        return self._issue(client.client_id, now)

    def _from_refresh(self, client: ClientSpec, form: Mapping[str, str],
                      now: float) -> dict[str, str]:
        record = self.refresh.get(form.get("refresh_token", ""))
        if record is None or record.client_id != client.client_id:
            raise OAuthFailure(400, "invalid_grant", "The refresh token is invalid.")
        if record.dead:
            raise OAuthFailure(401, "unauthorized_client", "Old refresh token used.")
        if now - record.last_used > REFRESH_IDLE_TTL:
            expired_at = record.last_used + REFRESH_IDLE_TTL
            raise OAuthFailure(400, "invalid_request", f"The refresh token expired at "
                                                       f"{_stamp(expired_at)} and it is now "
                                                       f"{_stamp(now)}.")
        last = self.last_issued.get(client.client_id)
        if self.early_refresh_rejected and last is not None and now - last < MIN_REFRESH_INTERVAL:
            raise OAuthFailure(401, "invalid_request", "Access Token not expired")
        record.dead = True
        return self._issue(client.client_id, now)

    def _issue(self, client_id: str, now: float) -> dict[str, str]:
        access = "gAAAAAB" + secrets.token_urlsafe(96)
        refresh = "yIA2!IAAA" + secrets.token_urlsafe(64)
        user = user_id_for(client_id)
        self.access[access] = Grant(client_id, user, now + ACCESS_TTL)
        self.refresh[refresh] = RefreshRecord(client_id, user, now)
        self.last_issued[client_id] = now
        return {"access_token": access, "token_type": "bearer", "expires_in": str(ACCESS_TTL),
                "refresh_token": refresh}

    # --- bearer tokens on the REST API ----------------------------------------------------
    def authenticate(self, authorization: str | None) -> Grant | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        grant = self.access.get(authorization[7:].strip())
        if grant is None or grant.expires_at <= self.clock.now():
            return None
        return grant

    def divisions_of(self, client_id: str, all_divisions: list[int]) -> list[int]:
        allowed = self.clients[client_id].divisions
        return [d for d in all_divisions if allowed is None or d in allowed]
