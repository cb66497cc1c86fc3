"""The control API under ``/sandbox/`` (design §4): tests and the demo steer the sandbox here.

| endpoint                    | body                                                     |
|-----------------------------|----------------------------------------------------------|
| POST /sandbox/reset         | none                                                     |
| GET  /sandbox/state         | none                                                     |
| POST /sandbox/bank-payment  | division, invoice_number or your_ref, amount, date       |
| POST /sandbox/unmatch       | division, invoice_number (or your_ref)                   |
| POST /sandbox/process       | division, optional entry_ids                             |
| POST /sandbox/faults        | method, path, count, one of status / delay / action      |
| POST /sandbox/clock         | advance (seconds)                                        |
| POST /sandbox/limits        | minutely, daily (and optional error_budget: bool)        |
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hfexact.sandbox import ledger_control
from hfexact.sandbox.failures import ControlError
from hfexact.sandbox.ratelimit import ErrorBudget, RateLimiter

if TYPE_CHECKING:
    from hfexact.sandbox.app import Sandbox

Body = dict[str, Any]


def _body(raw: bytes) -> Body:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise ControlError("body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlError("body must be a JSON object")
    return body


def dispatch(sandbox: Sandbox, method: str, path: str, raw: bytes) -> tuple[int, Any]:
    name = path[len("/sandbox/"):].strip("/")
    routes: dict[tuple[str, str], Callable[[Sandbox, Body], Any]] = {
        ("POST", "reset"): _reset, ("GET", "state"): _state, ("POST", "clock"): _clock,
        ("POST", "limits"): _limits, ("POST", "faults"): _faults,
        ("GET", "faults"): lambda s, b: {"faults": s.faults.pending()},
        ("POST", "bank-payment"): ledger_control.bank_payment,
        ("POST", "unmatch"): ledger_control.unmatch, ("POST", "process"): ledger_control.process,
    }
    route = routes.get((method, name))
    if route is None:
        raise ControlError(f"no control endpoint {method} {path}", 404)
    body = _body(raw)
    with sandbox.state.lock:
        return 200, route(sandbox, body)


def _reset(sandbox: Sandbox, body: Body) -> Any:
    sandbox.reset()
    return {"ok": True, "divisions": list(sandbox.state.divisions)}


MAX_CLOCK_OFFSET = 100 * 366 * 86400  # a century either way keeps every date representable


def _clock(sandbox: Sandbox, body: Body) -> Any:
    advance = body.get("advance")
    if not isinstance(advance, int | float | Decimal) or isinstance(advance, bool):
        raise ControlError("'advance' must be a number of seconds")
    if not abs(sandbox.state.clock.offset + float(advance)) <= MAX_CLOCK_OFFSET:
        raise ControlError("the clock can move at most 100 years from real time")
    sandbox.state.clock.advance(float(advance))
    return {"now": sandbox.state.clock.now(), "offset": sandbox.state.clock.offset}


def _limits(sandbox: Sandbox, body: Body) -> Any:
    minutely = body.get("minutely", sandbox.limiter.minutely)
    daily = body.get("daily", sandbox.limiter.daily)
    for name, value in (("minutely", minutely), ("daily", daily)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ControlError(f"'{name}' must be a non-negative integer")
    sandbox.limiter.minutely, sandbox.limiter.daily = minutely, daily
    if "error_budget" in body:
        if not isinstance(body["error_budget"], bool):
            raise ControlError("'error_budget' must be true or false")
        sandbox.budget = ErrorBudget(body["error_budget"], sandbox.options.error_budget_limit)
    if body.get("reset_counters"):
        sandbox.limiter = RateLimiter(minutely, daily)
    return {"minutely": minutely, "daily": daily, "error_budget": sandbox.budget.enabled}


def _faults(sandbox: Sandbox, body: Body) -> Any:
    fault = sandbox.faults.add(body)
    return {"fault": fault.as_json(), "pending": sandbox.faults.pending()}


def _state(sandbox: Sandbox, body: Body) -> Any:
    divisions: dict[str, Any] = {}
    for number, division in sandbox.state.divisions.items():
        tables = {path: table.all() for path, table in division.tables.items()}
        tables["ledger/terms"] = division.ledger.all()
        divisions[str(number)] = tables
    return {
        "now": sandbox.state.clock.now(),
        "clock_offset": sandbox.state.clock.offset,
        "divisions": divisions,
        "counters": sandbox.state.counters.as_json(),
        "token_calls_today": sandbox.oauth.token_calls_today(),
        "rate_limits": {"minutely": sandbox.limiter.minutely, "daily": sandbox.limiter.daily,
                        "used": sandbox.limiter.snapshot()},
        "error_budget": sandbox.budget.enabled,
        "faults": sandbox.faults.pending(),
    }
