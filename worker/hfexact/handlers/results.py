"""Result messages with deterministic ids: the same effect always yields the same message.

The id is a UUID5 of (result type, installation, kind, HostFact id, state), where the state
names the effect (``booked``, a debtor version, ``changed:<version>``, ...). A redelivered
event returns the very same results, so a crash between the effect and the publish loses
nothing and HostFact's side de-duplicates by message id. Every body is checked against its
marshmallow schema before it leaves (``check_result``); the tests check every builder's output
against ``schemas/`` too (``validate_result``), and HostFact's consumer validates on receipt.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from typing import Any

from hfexact.contract import check_result
from hfexact.processing_types import ResultMessage
from hfexact.store import Binding

#: namespace of every result id the worker makes
RESULT_NAMESPACE = uuid.UUID("6f1c7e52-5b0e-4c43-9d7e-0b3f8f2a9c11")
MAX_REASON = 2000


def message_id(result_type: str, installation: str, kind: str, hostfact_id: str, state: str) -> str:
    name = "|".join((result_type, installation, kind, hostfact_id, state))
    return str(uuid.uuid5(RESULT_NAMESPACE, name))


def numeric_id(hostfact_id: str) -> str:
    """HostFact ids are digits; a batch id such as ``SDD20261201`` gives its digits."""
    digits = re.sub(r"\D", "", hostfact_id)
    return digits[-18:] if digits else "0"


def timestamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def envelope(
    result_type: str,
    installation: str,
    mid: str,
    data: Mapping[str, Any],
    occurred_at: dt.datetime,
) -> ResultMessage:
    body: dict[str, Any] = {
        "id": mid,
        "type": result_type,
        "version": 1,
        "occurred_at": timestamp(occurred_at),
        "source": {"system": "hfexact", "installation": installation},
        "data": dict(data),
        "related": {},
    }
    check_result(body)
    return ResultMessage(type=result_type, message_id=mid, body=body)


def export_succeeded(binding: Binding, *, state: str) -> ResultMessage:
    """``export.succeeded`` for what a binding records (its time is when it was done)."""
    kind = binding.kind
    data: dict[str, Any] = {
        "kind": kind,
        "hostfact_id": numeric_id(binding.hostfact_id),
        "hostfact_code": binding.hostfact_code or binding.hostfact_id,
        "exact_id": binding.exact_id,
        "division": str(binding.division),
        "entry_number": binding.exact_number,
        "account_code": binding.exact_code,
        "event_id": binding.event_id,
    }
    mid = message_id("export.succeeded", binding.installation, kind, binding.hostfact_id, state)
    return envelope("export.succeeded", binding.installation, mid, data, binding.updated_at)


def export_failed(
    *,
    installation: str,
    kind: str,
    hostfact_id: str,
    hostfact_code: str,
    reason: str,
    state: str,
    occurred_at: dt.datetime,
    exact_message: str = "",
    division: int | None = None,
    event_id: str | None = None,
) -> ResultMessage:
    """``export.failed``: the record needs a person; ``reason`` in plain English."""
    data: dict[str, Any] = {
        "kind": kind,
        "hostfact_id": numeric_id(hostfact_id),
        "hostfact_code": hostfact_code,
        "reason": (reason or "export failed")[:MAX_REASON],
        "exact_message": exact_message[:MAX_REASON],
        "division": None if division is None else str(division),
        "event_id": event_id,
    }
    mid = message_id("export.failed", installation, kind, hostfact_id, state)
    return envelope("export.failed", installation, mid, data, occurred_at)


def settings_validated(
    *,
    installation: str,
    version: str,
    problems: list[str],
    occurred_at: dt.datetime,
) -> ResultMessage:
    """``settings.validated`` for one stored settings version."""
    data = {
        "installation": installation,
        "settings_version": version,
        "valid": not problems,
        "problems": list(problems),
    }
    mid = message_id("settings.validated", installation, "settings", version, "validated")
    return envelope("settings.validated", installation, mid, data, occurred_at)
