"""Strict marshmallow fields for the contract: strings in, typed values out, nothing coerced.

Each pattern here is the one in ``schemas/defs/common.schema.json`` (a test keeps them equal).
A JSON number where the contract wants a decimal string is an error, never converted: a float
has already lost cents by the time it reaches us.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields

DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"

#: name -> (pattern, what a valid value looks like). Amounts and decimals have at most 12
#: digits before the point: a price times a quantity, rounded to cents, then stays within
#: Decimal's 28 digits (an absurd amount is a contract error, not a crash of the translation).
_DIGITS = "at most 12 digits before the point"
PATTERNS: dict[str, tuple[str, str]] = {
    "money": (r"^-?[0-9]{1,12}\.[0-9]{2}$",
              f'an amount with two decimals as a string, e.g. "121.00" ({_DIGITS})'),
    "money_nonnegative": (r"^[0-9]{1,12}\.[0-9]{2}$",
                          f'an amount >= 0 with two decimals, e.g. "0.00" ({_DIGITS})'),
    "money_nonpositive": (
        r"^(-?0{1,12}\.00|-[0-9]{1,12}\.[0-9]{2})$",
        f'an amount <= 0 with two decimals, e.g. "-121.00" ({_DIGITS})',
    ),
    "money_positive": (
        r"^(?!0+\.00$)[0-9]{1,12}\.[0-9]{2}$",
        f'an amount > 0 with two decimals, e.g. "12.10" ({_DIGITS})',
    ),
    "decimal": (r"^-?[0-9]{1,12}(\.[0-9]+)?$",
                f'a decimal number as a string, e.g. "1" or "9.995" ({_DIGITS})'),
    "decimal_nonnegative": (r"^[0-9]{1,12}(\.[0-9]+)?$",
                            f'a decimal number >= 0 as a string, e.g. "1" ({_DIGITS})'),
    "percentage": (
        r"^(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$",
        'a percentage "0" to "100" as a string, e.g. "21"',
    ),
    "identifier": (r"^[0-9]{1,18}$", 'a HostFact id: a string of digits, e.g. "42"'),
    "integer_string": (r"^-?[0-9]{1,9}$", 'a whole number as a string, e.g. "14" or "-1"'),
    "code": (r"^\S(.*\S)?$", "a non-empty code without surrounding spaces"),
    "date": (DATE, "a date YYYY-MM-DD"),
    "local_datetime": (DATE[:-1] + "[ T]" + _TIME + "$", "a date-time YYYY-MM-DD HH:MM:SS"),
    "timestamp": (
        DATE[:-1] + "T" + _TIME + r"(\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
        "an ISO 8601 date-time with offset, e.g. 2026-11-28T15:04:05+01:00",
    ),
    "uuid": (
        r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        "a UUID like 0b8f6d2e-4c1e-4f57-9a63-2d1f0c6a9e11",
    ),
    "country": (r"^[A-Z]{2}$", 'an ISO 3166-1 alpha-2 country code, e.g. "NL"'),
    "currency": (r"^[A-Z]{3}$", 'an ISO 4217 currency code, e.g. "EUR"'),
    "installation": (r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", 'an installation name, e.g. "hf-main"'),
    # not in common.schema.json: the schemas that use them hold the same pattern
    "batch_id": (r"^SDD[0-9]{8}$", 'a batch id "SDD" + YYYYMMDD'),
    "optional_batch_id": (r"^(SDD[0-9]{8})?$", 'a batch id "SDD" + YYYYMMDD, or ""'),
    "exact_code": (r"^\S(.*\S)?$", "an Exact code without surrounding spaces"),
    "code_mask": (
        r"^$|^(?:[0-9]|#|\[0-9\])*(?:#|\[0-9\])(?:[0-9]|#|\[0-9\])*$",
        'a code mask of digits and "#" or "[0-9]", e.g. "1###", or empty',
    ),
}

#: maxLength the schemas set on some of these
_MAX_LENGTH = {"code": 50, "exact_code": 20, "code_mask": 90}

_COMPILED = {name: re.compile(pattern) for name, (pattern, _) in PATTERNS.items()}


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _require_str(value: object, expect: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise ValidationError(f"Must be {expect}.")
    if isinstance(value, int | float):
        raise ValidationError(f"Must be {expect}; JSON numbers are not accepted.")
    raise ValidationError(f"Must be {expect}; got a JSON {type(value).__name__}.")


class _Patterned(fields.Field[Any]):
    """A string that must match ``PATTERNS[kind]``; ``convert`` turns it into the value."""

    def __init__(self, kind: str, *, max_length: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.max_length = max_length if max_length is not None else _MAX_LENGTH.get(kind)
        self.expect = PATTERNS[kind][1]
        self.regex = _COMPILED[kind]

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        text = value if isinstance(value, str) else _require_str(value, self.expect)
        if not self.regex.fullmatch(text):
            raise ValidationError(f"Must be {self.expect}; got {_show(text)}.")
        if self.max_length is not None and len(text) > self.max_length:
            raise ValidationError(f"Longer than {self.max_length} characters.")
        return self.convert(text)

    def convert(self, text: str) -> Any:
        return text


class PatternStr(_Patterned):
    """A string checked against a pattern, kept as ``str``."""


class DecimalStr(_Patterned):
    """A decimal string (money, price, quantity, percentage) -> ``Decimal``."""

    def convert(self, text: str) -> Decimal:
        return Decimal(text)


class IntStr(_Patterned):
    """A string of digits (HostFact ids, terms) -> ``int``."""

    def __init__(self, kind: str = "identifier", **kwargs: Any) -> None:
        super().__init__(kind, **kwargs)

    def convert(self, text: str) -> int:
        return int(text)


class IsoDate(_Patterned):
    """``YYYY-MM-DD`` -> ``date``; with ``optional=True`` HostFact's ``""`` (and null) -> None."""

    def __init__(self, *, optional: bool = False, **kwargs: Any) -> None:
        if optional:
            kwargs.setdefault("allow_none", True)
        super().__init__("date", **kwargs)
        self.optional = optional

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if self.optional and value == "":
            return None
        return super()._deserialize(value, attr, data, **kwargs)

    def convert(self, text: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(f"Not a real date: {_show(text)}.") from None


class LocalDateTime(_Patterned):
    """HostFact's ``YYYY-MM-DD HH:MM:SS`` (no offset) -> naive ``datetime``; ``""``/null -> None."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        super().__init__("local_datetime", **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if value == "":
            return None
        return super()._deserialize(value, attr, data, **kwargs)

    def convert(self, text: str) -> dt.datetime:
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(f"Not a real date-time: {_show(text)}.") from None


class Timestamp(_Patterned):
    """An ISO 8601 date-time with offset -> aware ``datetime``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("timestamp", **kwargs)

    def convert(self, text: str) -> dt.datetime:
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"Not a real date-time: {_show(text)}.") from None


class UuidStr(_Patterned):
    """A canonical UUID, kept as the ``str`` it was sent as."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("uuid", **kwargs)

    def convert(self, text: str) -> str:
        uuid.UUID(text)  # the pattern already guarantees it parses
        return text


class Choice(fields.Field[Any]):
    """One of a fixed set of strings; ``convert`` (e.g. ``int``) maps it to the value."""

    def __init__(
        self, choices: Sequence[str], *, convert: type[int] | type[str] = str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.choices = tuple(choices)
        self.convert = convert

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, str) or value not in self.choices:
            expect = "one of " + ", ".join(repr(choice) for choice in self.choices)
            shown = _show(value) if isinstance(value, str) else f"a JSON {type(value).__name__}"
            raise ValidationError(f"Must be {expect}; got {shown}.")
        return self.convert(value)


class YesNo(Choice):
    """HostFact's ``"yes"``/``"no"`` -> ``bool``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(("yes", "no"), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        return super()._deserialize(value, attr, data, **kwargs) == "yes"


class StrictBool(fields.Field[bool]):
    """JSON ``true``/``false`` only (marshmallow's Boolean would take ``"yes"`` or ``1``)."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


class Const(fields.Field[Any]):
    """Exactly one JSON value (``version: 1``; a float ``1.0`` or a string ``"1"`` is wrong)."""

    def __init__(self, value: object, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value = value

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if type(value) is not type(self.value) or value != self.value:
            raise ValidationError(f"Must be {self.value!r}; got {value!r}."[:200])
        return value


class Text(fields.String):
    """Free text as HostFact holds it (may be empty)."""


def find_number(value: object) -> str | None:
    """Path of the first JSON number inside ``value`` (``""`` for ``value`` itself), else None.

    Iterative, so a deeply nested document cannot exhaust the stack.
    """
    if isinstance(value, str) or not _holds_number(value):
        return None
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        if isinstance(item, int | float):
            return path
        if isinstance(item, Mapping):
            stack.extend((f"{path}.{key}" if path else str(key), v) for key, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(item))
    return None


def _holds_number(value: object) -> bool:
    """Whether a JSON number is anywhere inside ``value`` (find_number without the path)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bool) or item is None:
            continue
        if isinstance(item, int | float):
            return True
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
