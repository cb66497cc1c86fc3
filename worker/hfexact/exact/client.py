"""The Exact Online REST client the worker and the payment poller use.

Every call names its division explicitly, sends ``Accept: application/json``, takes one call from
the division's shared rate budget first and records the budget Exact reports after. It never
retries on its own, except: one refresh-and-retry on a 401 (when the token is old enough), and
one wait-and-retry on a 429 or a spent budget when the reset is at most ``max_inline_wait``
seconds away. Everything else surfaces as the bridge's errors (see ``errors_map``).

``observer`` (optional, settable after construction) sees every REST call as an
:class:`ExactCall` once it has an answer or failed without one; the metrics endpoint counts
calls by division, endpoint and status through it. An observer's exception is logged, never
raised into the call.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

from hfexact import crashpoints
from hfexact.config import Settings
from hfexact.errors import BridgeError, RateLimited, TransientError
from hfexact.exact import odata
from hfexact.exact.errors_map import map_request_exception, map_response
from hfexact.exact.oauth import OAuthClient, OAuthConfig, permit_loopback_http
from hfexact.exact.ratelimit import RateLimiter
from hfexact.exact.tokens import TokenManager
from hfexact.logs import get_logger
from hfexact.store import Store

log = get_logger("hfexact.exact.client")

Params = Mapping[str, str | int]
_KEY = re.compile(r"\((?:guid)?'[^']*'\)|\(\d+\)")


@dataclass(frozen=True)
class ExactCall:
    """One REST call as the observer sees it; ``status`` None: no answer (timeout, refused)."""

    division: int | None
    method: str
    endpoint: str  # e.g. ``salesentry/SalesEntries``: no division, no entity keys, no query
    status: int | None
    seconds: float


def endpoint_label(url: str) -> str:
    """``.../api/v1/123456/crm/Accounts(guid'…')`` -> ``crm/Accounts`` (bounded cardinality)."""
    path = urlsplit(url).path
    marker = "/api/v1/"
    path = path.split(marker, 1)[1] if marker in path else path
    head, _, rest = path.partition("/")
    if head.isdigit():
        path = rest
    return _KEY.sub("", path)


def encode_query(params: Params | None) -> str:
    """OData query options with ``$`` and quotes kept literal and spaces as ``%20``."""
    if not params:
        return ""
    return urlencode({k: str(v) for k, v in params.items()}, quote_via=quote, safe="$'(),:")


def _session_for(base_url: str, connections: int = 10) -> requests.Session:
    """A session with the environment's proxy and CA settings (``HTTPS_PROXY``,
    ``REQUESTS_CA_BUNDLE``, ...) read once, not on every request: requests re-reads them per
    call when ``trust_env`` is on, which cost about a tenth of a millisecond each time. It keeps
    up to ``connections`` open connections to Exact, one per worker lane (requests keeps 10)."""
    session = requests.Session()
    if connections > 10:
        for prefix in ("https://", "http://"):
            session.mount(prefix, requests.adapters.HTTPAdapter(pool_maxsize=connections))
    found = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    if found["cert"] is not None:
        session.cert = found["cert"]
    session.trust_env = False
    return session


class ExactClient:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        tokens: TokenManager | None = None,
        max_inline_wait: float = 5.0,
        keep_minute: int = 0,
        keep_day: int = 0,
    ) -> None:
        self.base_url = settings.exact_base_url.rstrip("/")
        permit_loopback_http(self.base_url)
        self._timeout = (min(10.0, settings.http_timeout_seconds), settings.http_timeout_seconds)
        self._own_session = session is None
        self._session = session or _session_for(self.base_url, settings.worker_concurrency)
        self._clock = clock
        self._sleep = sleep
        self.max_inline_wait = max_inline_wait
        self.tokens = tokens or TokenManager(
            OAuthClient(OAuthConfig.from_settings(settings, store), clock=clock), store,
            clock=clock,
        )
        self.limiter = RateLimiter(store, keep_minute=keep_minute, keep_day=keep_day)
        #: HTTP requests sent to the REST API by this client (token calls not included)
        self.calls = 0
        #: sees every REST call (metrics); see the module docstring
        self.observer: Callable[[ExactCall], None] | None = None

    # -- the public verbs --------------------------------------------------------------------

    def get(self, division: int, path: str, params: Params | None = None) -> list[dict[str, Any]]:
        """One page of results of ``GET /api/v1/{division}/{path}``."""
        return odata.results(self._json(self._request("GET", division, self._url(division, path),
                                                     params=params)))

    def iterate(
        self, division: int, path: str, params: Params | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every result, page after page, following ``__next`` exactly as Exact gives it."""
        url: str | None = self._url(division, path)
        query = params
        while url is not None:
            payload = self._json(self._request("GET", division, url, params=query))
            yield from odata.results(payload)
            url, query = odata.next_link(payload), None
            if url is not None:
                self._check_same_origin(url)

    def post(self, division: int, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Create an entity; returns it as Exact stored it (``Prefer: return=representation``)."""
        response = self._request("POST", division, self._url(division, path), body=payload,
                                 headers={"Prefer": "return=representation"})
        if not response.content:
            return {}
        return odata.entity(self._json(response))

    def put(self, division: int, path: str, payload: Mapping[str, Any]) -> None:
        """Update an entity (``path`` like ``crm/Accounts(guid'…')``); Exact answers 204."""
        self._request("PUT", division, self._url(division, path), body=payload)

    def delete(self, division: int, path: str) -> None:
        self._request("DELETE", division, self._url(division, path))

    def me(self) -> dict[str, Any]:
        """The current user (``current/Me``): ``CurrentDivision``, ``FullName``, ..."""
        url = f"{self.base_url}/api/v1/current/Me"
        params = {"$select": "UserID,CurrentDivision,FullName,UserName,LanguageCode,"
                             "DivisionCustomerName"}
        rows = odata.results(self._json(self._request("GET", None, url, params=params)))
        if not rows:
            raise TransientError("Exact returned no current user for current/Me")
        return rows[0]

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    # -- internals ---------------------------------------------------------------------------

    def _url(self, division: int, path: str) -> str:
        if not isinstance(division, int) or isinstance(division, bool):
            raise TypeError("the division must be an int (never 'current')")
        return f"{self.base_url}/api/v1/{division}/{path.lstrip('/')}"

    def _check_same_origin(self, url: str) -> None:
        ours, theirs = urlsplit(self.base_url), urlsplit(url)
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            raise TransientError(
                f"Exact's next-page link points to {theirs.scheme}://{theirs.netloc}, not to "
                f"{ours.scheme}://{ours.netloc}; refusing to send the token there"
            )

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise TransientError(
                f"Exact answered HTTP {response.status_code} with a body that is not JSON"
            ) from None

    def _endpoint(self, method: str, url: str) -> str:
        path = urlsplit(url).path
        marker = "/api/v1/"
        return f"{method} {path.split(marker, 1)[1] if marker in path else path}"

    def _request(
        self,
        method: str,
        division: int | None,
        url: str,
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        endpoint = self._endpoint(method, url)
        full_url = url + ("?" + encode_query(params) if params else "")
        waited = refreshed = False
        data = None if body is None else odata.dumps(body).encode("utf-8")
        while True:
            if division is not None:
                try:
                    self.limiter.reserve(division, self._clock())
                except RateLimited as exc:
                    if waited or not self._wait_briefly(exc):
                        raise
                    waited = True
                    continue
            token = self.tokens.access_token()
            started = time.monotonic()
            try:
                response = self._send(method, full_url, token, data, headers, endpoint)
            except BridgeError:
                self._observe(division, method, url, None, started)
                raise
            self._observe(division, method, url, response.status_code, started)
            if division is not None:
                self.limiter.record(division, response)
            if response.status_code == 401 and not refreshed:
                refreshed = True
                self.tokens.after_unauthorized(token)
                continue
            if response.status_code == 429:
                error = (self.limiter.record_429(division, response, self._clock())
                         if division is not None else None)
                if error is not None and not waited and self._wait_briefly(error):
                    waited = True
                    continue
            mapped = map_response(response, endpoint=endpoint, division=division,
                                  now=self._clock())
            if mapped is not None:
                log.info("exact.call_failed", endpoint=endpoint, status=response.status_code,
                         error=mapped.kind, division=division)
                raise mapped
            return response

    def _observe(self, division: int | None, method: str, url: str, status: int | None,
                 started: float) -> None:
        if self.observer is None:
            return
        try:
            self.observer(ExactCall(division, method, endpoint_label(url), status,
                                    time.monotonic() - started))
        except Exception as exc:  # noqa: BLE001 - metrics must never break a booking
            log.warning("exact.observer_failed", error=repr(exc))

    def _wait_briefly(self, exc: RateLimited) -> bool:
        delay = exc.retry_at - self._clock()
        if delay > self.max_inline_wait:
            return False
        log.info("exact.rate_limited_wait", division=exc.division, seconds=round(delay, 2))
        if delay > 0:
            self._sleep(delay)
        return True

    def _prepare(self, method: str, url: str, headers: Mapping[str, str],
                 data: bytes | None) -> requests.PreparedRequest:
        """What ``Session.request`` would send, prepared directly: the session's headers and
        cookies under ours. ``Session.request`` merges every session setting with per-call
        ones through requests' runtime-checked protocols on each call (about 0.1 ms); the
        session's proxies and CA settings are fixed when it is made (``_session_for``)."""
        session = self._session
        prepared = requests.PreparedRequest()
        prepared.prepare(method=method, url=url, headers={**session.headers, **headers},
                         data=data, cookies=session.cookies, hooks=session.hooks)
        return prepared

    def _send(
        self, method: str, url: str, token: str, data: bytes | None,
        headers: Mapping[str, str] | None, endpoint: str,
    ) -> requests.Response:
        sent = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if data is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        started = time.monotonic()
        if method != "GET":
            crashpoints.reached("before_call")  # test-only fault hook, inert unless armed
        try:
            response = self._session.send(
                self._prepare(method, url, sent, data), timeout=self._timeout,
                allow_redirects=False, stream=False, proxies=self._session.proxies,
                verify=self._session.verify, cert=self._session.cert,
            )
        except requests.RequestException as exc:
            log.info("exact.call_failed", endpoint=endpoint, error=type(exc).__name__)
            raise map_request_exception(exc, endpoint=endpoint) from None
        finally:
            self.calls += 1
        log.debug("exact.called", endpoint=endpoint, status=response.status_code,
                  ms=round((time.monotonic() - started) * 1000, 1))
        if method != "GET" and response.status_code < 300:
            crashpoints.reached("after_call")  # test-only fault hook, inert unless armed
        return response
