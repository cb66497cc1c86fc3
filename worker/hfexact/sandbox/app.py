"""The WSGI application: faults, OAuth, authentication, division scope, rate limits, routing.

Order of checks on ``/api/v1/{division}/…`` (as Exact applies them): bearer token (401),
division scope (403 with a ``Reason`` header), error-budget block, rate limit (429 with only
the exhausted window's headers), then the OData request; the six rate headers go on every
counted response. ``/api/v1/current/Me`` carries no division and, as Exact's KB says of URLs
without a company code, is not counted.

An unexpected exception (a sandbox bug, or the ``internal_error`` fault) answers as Exact's
generic failure: HTTP 500 with its error envelope ("A problem has occurred. …"), rate headers
included on division calls; the traceback goes to stderr.
"""

from __future__ import annotations

import socket
import struct
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from hfexact.sandbox import control, me
from hfexact.sandbox.entities.base import Context
from hfexact.sandbox.entities.registry import entity_sets
from hfexact.sandbox.failures import ApiError, ControlError, OAuthFailure
from hfexact.sandbox.faults import Fault, FaultTable, InjectedInternalError
from hfexact.sandbox.oauth import AuthorizePageError, Grant, OAuthServer
from hfexact.sandbox.odata import wire
from hfexact.sandbox.options import SandboxOptions
from hfexact.sandbox.ratelimit import ErrorBudget, RateLimiter
from hfexact.sandbox.rest import Reply, handle
from hfexact.sandbox.store import SandboxState

GENERIC_500 = ("A problem has occurred. The cause of this issue will be investigated as soon as "
               "possible.")
MAINTENANCE_HTML = (
    "<!DOCTYPE html><html><head><title>Exact Online - Onderhoud</title></head><body>"
    "<h1>Exact Online is tijdelijk niet beschikbaar</h1><p>Wegens onderhoud is Exact Online "
    "tijdelijk niet beschikbaar. Probeer het later opnieuw.</p></body></html>")
STATUS_TEXT = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 429: "Too Many Requests", 500: GENERIC_500,
               502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class Sandbox:
    """One emulated Exact Online: state plus the subsystems that enforce Exact's rules."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.state = SandboxState(options)
        self.oauth = OAuthServer(options.clients, self.state.clock,
                                 early_refresh_rejected=options.early_refresh_rejected,
                                 calls_per_day=options.token_calls_per_day)
        self.limiter = RateLimiter(options.minutely, options.daily)
        self.budget = ErrorBudget(options.error_budget, options.error_budget_limit)
        self.faults = FaultTable()
        self.sets = entity_sets()

    def reset(self) -> None:
        with self.state.lock:
            self.state.reset()
            self.oauth.reset()
            self.limiter = RateLimiter(self.options.minutely, self.options.daily)
            self.budget = ErrorBudget(self.options.error_budget, self.options.error_budget_limit)
            self.faults.reset()

    # --- WSGI ---------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            answer = self._respond(request)
        except Exception:  # noqa: BLE001 - a sandbox bug answers as Exact's generic failure
            answer = self._internal_error(request, wire.wants_json(request.headers.get("Accept")))
        if isinstance(answer, _Drop):
            return answer
        return answer(environ, start_response)

    def _respond(self, request: Request) -> Response | _Drop:
        path = request.path
        if path.startswith("/sandbox/"):
            return self._control(request)
        fault = self.faults.take(request.method, path)
        if fault is not None:
            with self.state.lock:
                self.state.counters.faults_applied += 1
            early = self._fault_response(fault)
            if early is not None:
                return early
        response = self._serve(request, crash=fault is not None
                               and fault.action == "internal_error")
        if fault is not None and fault.action == "commit_then_drop":
            return _Drop(request.environ)
        return response

    def _internal_error(self, request: Request, as_json: bool) -> Response:
        """Exact's generic 500; the traceback of the exception being handled goes to stderr."""
        with self.state.lock:
            self.state.counters.internal_errors += 1
        sys.stderr.write(f"hfexact sandbox: internal error on {request.method} {request.path}\n"
                         f"{traceback.format_exc()}")
        sys.stderr.flush()
        if request.path.startswith("/sandbox/"):
            return Response(wire.dumps({"error": "internal error (traceback on the sandbox's "
                                                 "stderr)"}), 500, content_type="application/json")
        return _error(500, GENERIC_500, as_json)

    def _fault_response(self, fault: Fault) -> Response | None:
        if fault.delay is not None:
            time.sleep(fault.delay)
            return None
        if fault.action == "maintenance_html":
            return Response(MAINTENANCE_HTML, 503, content_type="text/html; charset=utf-8")
        if fault.status is not None:
            if fault.status == 429:
                reset = (int(self.state.clock.now() // 60) + 1) * 60_000
                return Response(b"", 429, headers={
                    "X-RateLimit-Minutely-Limit": str(self.limiter.minutely),
                    "X-RateLimit-Minutely-Remaining": "0",
                    "X-RateLimit-Minutely-Reset": str(reset)})
            return Response(wire.json_error(STATUS_TEXT.get(fault.status, "Error")),
                            fault.status, content_type="application/json; charset=utf-8")
        return None

    def _control(self, request: Request) -> Response:
        try:
            status, body = control.dispatch(self, request.method, request.path,
                                            request.get_data())
        except ControlError as exc:
            status, body = exc.status, {"error": exc.message}
        return Response(wire.dumps(body), status, content_type="application/json")

    def _serve(self, request: Request, crash: bool = False) -> Response:
        path = request.path
        with self.state.lock:
            self.state.counters.calls[f"{request.method} {_template(path)}"] += 1
            if path.startswith("/api/v1/"):
                return self._api(request, crash)
            if crash:
                raise InjectedInternalError(f"internal_error fault on {request.method} {path}")
            if path == "/api/oauth2/auth" and request.method == "GET":
                return self._authorize(request)
            if path == "/api/oauth2/token":
                return self._token(request)
        return Response(b"Not Found", 404, content_type="text/plain")

    def _authorize(self, request: Request) -> Response:
        try:
            location = self.oauth.authorize(request.args)
        except AuthorizePageError as exc:
            page = (f"<!DOCTYPE html><html><head><title>Exact Online</title></head><body>"
                    f"<h1>Er is een fout opgetreden</h1><p>{exc}</p></body></html>")
            return Response(page, 400, content_type="text/html; charset=utf-8")
        return Response(b"", 302, headers={"Location": location})

    def _token(self, request: Request) -> Response:
        self.state.counters.token_calls += 1
        if request.method != "POST":
            return Response(b"", 405)
        basic = None
        if request.authorization and request.authorization.type == "basic":
            basic = (request.authorization.username or "", request.authorization.password or "")
        try:
            body: dict[str, Any] = dict(self.oauth.token(request.form, basic))
            status = 200
        except OAuthFailure as exc:
            status, body = exc.status, {"error": exc.error}
            if exc.description:
                body["error_description"] = exc.description
        return Response(wire.dumps(body), status, content_type="application/json; charset=utf-8",
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _api(self, request: Request, crash: bool) -> Response:
        as_json = wire.wants_json(request.headers.get("Accept"))
        grant = self.oauth.authenticate(request.headers.get("Authorization"))
        if grant is None:
            return _error(401, "Unauthorized", as_json,
                          Headers({"WWW-Authenticate": 'Bearer realm="Exact Online"'}))
        rest = request.path[len("/api/v1/"):]
        head, _, rest = rest.partition("/")
        all_divisions = list(self.state.divisions)
        allowed = self.oauth.divisions_of(grant.client_id, all_divisions)
        if head == "current" and rest == "Me":
            if crash:
                raise InjectedInternalError(f"internal_error fault on {request.path}")
            return self._reply(me.handle(self, request, grant, allowed, as_json), as_json)
        if not head.isdigit() or int(head) not in allowed:
            return _error(403, "Forbidden - User division is not within division scope",
                          as_json, Headers({"Reason": "NoDivisionAccess"}))
        return self._division_call(request, grant, int(head), rest, as_json, crash)

    def _division_call(self, request: Request, grant: Grant, division: int, rest: str,
                       as_json: bool, crash: bool) -> Response:
        now = self.state.clock.now()
        endpoint = rest.split("(", 1)[0].lower()
        budget_key = (grant.client_id, division, endpoint)
        until = self.budget.blocked_until(budget_key, now)
        if until is not None:
            return _error(429, "Too many errors on this endpoint: the API key is blocked "
                               "for an hour.", as_json,
                          Headers({"Retry-After": self.budget.retry_after(until, now)}))
        verdict = self.limiter.take((grant.client_id, division), now)
        if not verdict.allowed:
            self.state.counters.rate_limited += 1
            return Response(b"", 429, headers=verdict.headers)
        base = request.host_url + f"api/v1/{division}/"
        allowed = tuple(self.oauth.divisions_of(grant.client_id, list(self.state.divisions)))
        ctx = Context(self.state, self.state.divisions[division], self.state.clock.utcnow(), base,
                      allowed)
        try:
            if crash:
                raise InjectedInternalError(f"internal_error fault on {request.method} "
                                            f"{request.path}")
            reply = handle(ctx, self.sets, request.method, rest, request.args,
                           request.get_data(), as_json)
            response = self._reply(reply, as_json)
        except ApiError as exc:
            response = _error(exc.status, exc.message, as_json, Headers(exc.headers))
        except Exception:  # noqa: BLE001 - a bug in a rule: generic 500, counted, rate headers
            response = self._internal_error(request, as_json)
        self.budget.record(budget_key, response.status_code, now)
        for name, value in verdict.headers.items():
            response.headers[name] = value
        return response

    @staticmethod
    def _reply(reply: Reply, as_json: bool) -> Response:
        response = Response(reply.body, reply.status)
        if reply.content_type:
            response.headers["Content-Type"] = reply.content_type
        elif reply.status == 204:
            response.headers.pop("Content-Type", None)
        response.headers["DataServiceVersion"] = "2.0;"
        return response


def _error(status: int, message: str, as_json: bool, headers: Headers | None = None) -> Response:
    if as_json:
        body, ctype = wire.json_error(message), "application/json; charset=utf-8"
    else:
        body, ctype = wire.xml_error(message), "application/xml; charset=utf-8"
    response = Response(body, status, content_type=ctype)
    for name, value in (headers or Headers()).items():
        response.headers[name] = value
    return response


def _template(path: str) -> str:
    """Counter key: the path with entity keys elided (``Accounts(guid'…')`` -> ``Accounts()``)."""
    out, depth = [], 0
    for char in path:
        if char == "(":
            depth += 1
            out.append("()") if depth == 1 else None
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(char)
    return "".join(out)


class _Drop:
    """WSGI body for ``commit_then_drop``: the effect happened; reset the socket unanswered."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.sock: socket.socket | None = environ.get("werkzeug.socket")

    def __iter__(self) -> Iterator[bytes]:
        if self.sock is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("sandbox fault: connection dropped after commit")
