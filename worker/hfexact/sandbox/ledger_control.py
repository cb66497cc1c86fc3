"""Control-API actions on open items (filled in with the ledger)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hfexact.sandbox.failures import ControlError

if TYPE_CHECKING:
    from hfexact.sandbox.app import Sandbox


def bank_payment(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    raise ControlError("not implemented yet", 501)


def unmatch(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    raise ControlError("not implemented yet", 501)


def process(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    raise ControlError("not implemented yet", 501)
