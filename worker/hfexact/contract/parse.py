"""Bytes in, a typed :class:`~hfexact.contract.domain.Envelope` out, or a ContractError.

The order is fixed so that hostile input costs little: size first (before anything is
decoded), then strict UTF-8, then JSON (no NaN/Infinity), then the type and version, then the
type's marshmallow schema. :mod:`hfexact.contract.fast` first tries the same schema compiled
into plain loops; whatever it does not accept, marshmallow decides. Every failure is a
:class:`~hfexact.errors.ContractError` whose ``messages`` are keyed by field; nothing else
escapes for bad input.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from marshmallow import ValidationError

from hfexact.contract import domain
from hfexact.contract.fast import PLANS, fast_parse
from hfexact.contract.marshmallow_schemas import ENVELOPE_SCHEMAS
from hfexact.errors import ContractError
from hfexact.logs import get_logger

log = get_logger("hfexact.contract")

MAX_BYTES = 1_048_576


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(body: bytes, *, max_bytes: int = MAX_BYTES) -> Any:
    """Size check, strict UTF-8 and JSON: the parsed document, or ContractError."""
    if len(body) > max_bytes:
        raise ContractError({"_schema": [
            f"Message is {len(body)} bytes; the limit is {max_bytes} bytes."
        ]})
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContractError({"_schema": [f"Not UTF-8: byte {exc.start} is invalid."]}) from None
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise ContractError({"_schema": ["Not JSON: nested too deeply."]}) from None
    except ValueError as exc:
        raise ContractError({"_schema": [f"Not JSON: {exc}"]}) from None


def load_document(
    document: Any, *, allowed_types: Collection[str] = domain.ALL_TYPES
) -> domain.Envelope:
    """A parsed JSON document -> Envelope, by its type's schema."""
    if not isinstance(document, Mapping):
        raise ContractError({"_schema": ["A message is a JSON object."]})
    message_type = document.get("type")
    if not isinstance(message_type, str) or message_type not in allowed_types:
        shown = message_type if isinstance(message_type, str) else type(message_type).__name__
        raise ContractError({"type": [
            f"Unknown type {shown[:60]!r}; expected one of: {', '.join(allowed_types)}."
        ]})
    try:
        loaded = ENVELOPE_SCHEMAS[message_type].load(document)
    except ValidationError as exc:
        raise ContractError(_plain(exc.messages)) from None
    except RecursionError:
        raise ContractError({"_schema": ["Nested too deeply."]}) from None
    return domain.Envelope.of(message_type, loaded, document)


def parse_event(
    body: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    allowed_types: Collection[str] = domain.ALL_TYPES,
) -> domain.Envelope:
    """Parse one message body (event or result) against the contract.

    Raises ContractError (field-keyed ``messages``) for: too big, not UTF-8, not JSON,
    unknown type or version, schema violations.
    """
    envelope = fast_parse(body, max_bytes=max_bytes, allowed_types=allowed_types)
    if envelope is not None:
        return envelope
    envelope = load_document(decode(body, max_bytes=max_bytes), allowed_types=allowed_types)
    if envelope.type in PLANS:
        # never expected: the fast path refused what marshmallow accepts (marshmallow wins)
        log.warning("contract.fast_path_disagreed", type=envelope.type)
    return envelope


def check_result(document: Mapping[str, Any]) -> None:
    """Raise ContractError unless ``document`` is a valid result message, by its marshmallow
    schema (the compiled plan first, marshmallow for the messages).

    The worker's check of every result before it is published. ``validate_result`` adds the
    JSON Schema check (slower, about a millisecond); the tests run it on every result builder
    and ``tests/contract/test_agreement.py`` keeps the two forms of the contract in step.
    """
    message_type = document.get("type")
    plan = PLANS.get(message_type) if message_type in domain.RESULT_TYPES else None
    if plan is not None:
        try:
            plan(document)
            return
        except Exception:  # noqa: BLE001, S110 - any doubt: marshmallow decides and explains
            pass
    load_document(document, allowed_types=domain.RESULT_TYPES)


def parse_event_marshmallow(
    body: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    allowed_types: Collection[str] = domain.ALL_TYPES,
) -> domain.Envelope:
    """:func:`parse_event` by marshmallow alone (the validator of record; tests compare)."""
    return load_document(decode(body, max_bytes=max_bytes), allowed_types=allowed_types)


def _plain(messages: Any) -> Any:
    """marshmallow messages with every key a string (list indexes too), ready for JSON."""
    if isinstance(messages, Mapping):
        return {str(key): _plain(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_plain(item) for item in messages]
    return messages
