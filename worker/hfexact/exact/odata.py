"""Exact's OData dialect, pure: dates, filter literals, padded codes and response envelopes.

Facts (reference §0, §2.4, §5): dates come back as ``/Date(ms)/`` (UTC milliseconds) and are sent
as ISO 8601; string literals are single-quoted with ``'`` doubled; GUIDs are ``guid'…'``;
``crm/Accounts.Code`` is 18 characters, right-aligned with leading spaces; collections come as
``{"d": {"results": [...], "__next": url}}`` or as a bare ``{"d": [...]}``.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

CODE_WIDTH = 18
_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def parse_date(value: str | None) -> datetime | None:
    """``"/Date(1392224884577)/"`` -> aware UTC datetime; ISO 8601 strings are accepted too."""
    if value is None or value == "":
        return None
    match = _DATE.match(value)
    if match:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not an Exact date: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_day(value: str | None) -> date | None:
    """The calendar date of an Exact date value (entry dates are midnight UTC)."""
    parsed = parse_date(value)
    return None if parsed is None else parsed.date()


def format_date(value: date | datetime) -> str:
    """An ISO 8601 timestamp for a POST body: dates become midnight UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.strftime("%Y-%m-%dT00:00:00Z")


def to_exact_date(value: date | datetime) -> str:
    """``/Date(ms)/`` for a date (what Exact itself returns; handy in fixtures and tests)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    ms = (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    return f"/Date({ms})/"


def quote(value: str) -> str:
    """A string literal for ``$filter``: ``O'Brien`` -> ``'O''Brien'``."""
    return "'" + str(value).replace("'", "''") + "'"


def guid(value: str | uuid.UUID) -> str:
    """A GUID literal for ``$filter`` or a key segment; refuses anything that is not a GUID."""
    try:
        parsed = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise ValueError(f"not a GUID: {value!r}") from exc
    return f"guid'{parsed}'"


def datetime_literal(value: date | datetime) -> str:
    """``datetime'2015-01-01'`` (dates) or ``datetime'2015-01-01T10:00:00'`` (UTC times)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return f"datetime'{value.isoformat(timespec='seconds')}'"
    return f"datetime'{value.isoformat()}'"


def pad_code(code: str | int) -> str:
    """An account code as Exact stores it: right-aligned in 18 characters."""
    text = str(code).strip()
    if not text:
        raise ValueError("an account code cannot be empty")
    if len(text) > CODE_WIDTH:
        raise ValueError(f"account code {text!r} is longer than {CODE_WIDTH} characters")
    return text.rjust(CODE_WIDTH)


def unpad(code: str | None) -> str | None:
    """Exact's fixed-width codes (``"NL "``, ``"               255"``) without the padding."""
    return None if code is None else code.strip()


def entity_path(collection: str, key: str | uuid.UUID) -> str:
    """``crm/Accounts`` + GUID -> ``crm/Accounts(guid'…')`` (the PUT/DELETE URL)."""
    return f"{collection}({guid(key)})"


def results(payload: Any) -> list[dict[str, Any]]:
    """The records of a response envelope, whichever shape Exact chose."""
    if not isinstance(payload, Mapping) or "d" not in payload:
        raise ValueError("response is not an OData envelope (no 'd')")
    d = payload["d"]
    if isinstance(d, list):
        return [dict(r) for r in d]
    if isinstance(d, Mapping):
        if "results" in d and isinstance(d["results"], list):
            return [dict(r) for r in d["results"]]
        return [dict(d)]
    raise ValueError("response 'd' is neither a list nor an object")


def entity(payload: Any) -> dict[str, Any]:
    """The single entity of a POST response ``{"d": {...}}``."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("d"), Mapping):
        raise ValueError("response is not an OData entity envelope")
    return dict(payload["d"])


def next_link(payload: Any) -> str | None:
    """The ``__next`` URL of a collection page, or None on the last page."""
    if isinstance(payload, Mapping) and isinstance(payload.get("d"), Mapping):
        nxt = payload["d"].get("__next")
        return str(nxt) if nxt else None
    return None


def _mark_decimals(value: Any, mark: str) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} to Exact")
        return f"{mark}{format(value, 'f')}\x00"
    if isinstance(value, Mapping):
        return {str(k): _mark_decimals(v, mark) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark_decimals(v, mark) for v in value]
    if isinstance(value, datetime | date):
        return format_date(value)
    if isinstance(value, float):
        raise TypeError("money and quantities must be Decimal, not float")
    return value


#: per process, unguessable: no text in a payload can pose as a number marker
_NONCE = secrets.token_hex(8)
_MARK = f"\x00{_NONCE}:"
_MARKED = re.compile(rf'"\\u0000{_NONCE}:(-?\d+(?:\.\d+)?)\\u0000"')


def dumps(payload: Mapping[str, Any] | list[Any]) -> str:
    """JSON for a request body: Decimals become JSON numbers with exactly their digits, dates
    ISO 8601 timestamps; floats are refused (money never travels as float)."""
    text = json.dumps(_mark_decimals(payload, _MARK), ensure_ascii=False)
    return _MARKED.sub(r"\1", text)
