"""Fault injection for the next N calls matching a method and path (query string ignored).

Actions: ``maintenance_html`` (503 with Exact's HTML maintenance page), ``commit_then_drop``
(perform the request, then reset the connection unanswered) and ``internal_error`` (the request
raises inside the sandbox, as a bug would, and gets Exact's generic 500).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hfexact.sandbox.failures import ControlError

MAX_DELAY = 3600
ACTIONS = ("maintenance_html", "commit_then_drop", "internal_error")


class InjectedInternalError(RuntimeError):
    """Raised on purpose by the ``internal_error`` fault: it takes the path of a real bug."""


@dataclass
class Fault:
    method: str
    path: str
    remaining: int
    status: int | None = None
    delay: float | None = None
    action: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class FaultTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def reset(self) -> None:
        with self._lock:
            self._faults = []

    def add(self, body: Mapping[str, Any]) -> Fault:
        method = str(body.get("method", "")).upper()
        path = str(body.get("path", ""))
        count = body.get("count", 1)
        kinds = [k for k in ("status", "delay", "action") if body.get(k) is not None]
        if not method or not path.startswith("/"):
            raise ControlError("a fault needs 'method' and an absolute 'path'")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ControlError("'count' must be a positive integer")
        if len(kinds) != 1:
            raise ControlError("give exactly one of 'status', 'delay' or 'action'")
        fault = Fault(method, path.split("?", 1)[0], count)
        if "status" in kinds:
            status = body["status"]
            if not isinstance(status, int) or not 400 <= status <= 599:
                raise ControlError("'status' must be an HTTP error status (400-599)")
            fault.status = status
        elif "delay" in kinds:
            delay = body["delay"]
            if (not isinstance(delay, int | float | Decimal) or isinstance(delay, bool)
                    or not 0 <= delay <= MAX_DELAY):
                raise ControlError(f"'delay' must be a number of seconds (0-{MAX_DELAY})")
            fault.delay = float(delay)
        else:
            if body["action"] not in ACTIONS:
                raise ControlError(f"'action' must be one of {', '.join(ACTIONS)}")
            fault.action = str(body["action"])
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.path == path:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_json() for f in self._faults]
