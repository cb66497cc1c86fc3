"""Validate documents against the JSON Schemas in ``schemas/`` (draft 2020-12, no network).

Every schema is loaded from disk into a :mod:`referencing` registry under its own ``$id``, so
``$ref``s resolve locally. Formats are really checked: ``date``, ``uuid`` by jsonschema's own
checkers, ``date-time`` and our ``local-date-time`` by checkers registered here (jsonschema's
``date-time`` needs an optional package and is silently skipped without it). ``integer`` excludes
JSON floats such as ``1.0``: the contract has no floats at all. ``pattern`` follows ECMA-262's
``$`` (end of string), not Python's (which also matches before a final newline).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from hfexact.contract.domain import ALL_TYPES, RESULT_TYPES
from hfexact.contract.parse import load_document
from hfexact.errors import ContractError

MAX_BYTES = 1_048_576
BASE_URI = "https://hostfact-exact-bridge.example/schemas/"

_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
)
_LOCAL_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$")


def schemas_dir() -> Path:
    """``schemas/`` at the repository root (the package lives in ``worker/hfexact``)."""
    return Path(__file__).resolve().parents[3] / "schemas"


FORMAT_CHECKER = FormatChecker(formats=("date", "uuid"))


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not _DATE_TIME.match(instance):
        raise ValueError("not an ISO 8601 date-time with offset")
    value = dt.datetime.fromisoformat(instance.replace("Z", "+00:00"))
    return value.tzinfo is not None


@FORMAT_CHECKER.checks("local-date-time", raises=ValueError)
def _is_local_date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not _LOCAL_DATE_TIME.match(instance):
        raise ValueError("not YYYY-MM-DD HH:MM:SS")
    dt.datetime.fromisoformat(instance)
    return True


@cache
def _ecma_pattern(pattern: str) -> re.Pattern[str]:
    # ECMA-262 "$" (what JSON Schema means) is the end of the string; Python's "$" also matches
    # before a final newline, which would let "1.00\n" pass as money.
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _pattern(
    validator: Any, pattern: str, instance: object, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, str) and not _ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _strict_integer(checker: Any, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_STRICT_TYPES = Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer)


@cache
def registry() -> Registry[Any]:
    """Every ``*.schema.json`` under ``schemas/``, keyed by its ``$id``."""
    resources = []
    for path in sorted(schemas_dir().rglob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        # Without "$schema", jsonschema keeps our strict validator class when it follows a
        # $ref into another file, instead of switching to the stock 2020-12 validator.
        contents.pop("$schema", None)
        resources.append((contents["$id"], Resource.from_contents(contents, DRAFT202012)))
    return Registry().with_resources(resources)


def schema_uri(message_type: str | None) -> str:
    if message_type in ALL_TYPES:
        return f"{BASE_URI}types/{message_type}.schema.json"
    return f"{BASE_URI}envelope.schema.json"


_Validator: Any = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, validators={"pattern": _pattern}, type_checker=_STRICT_TYPES
)


@cache
def validator_for(message_type: str | None) -> Draft202012Validator:
    """The validator of one type (or of the bare envelope for an unknown type)."""
    schema = registry().contents(schema_uri(message_type))
    validator: Draft202012Validator = _Validator(
        schema, registry=registry(), format_checker=FORMAT_CHECKER
    )
    return validator


def iter_errors(document: object) -> Iterator[ValidationError]:
    """Schema errors of a parsed JSON document, most specific type schema first."""
    message_type = None
    if isinstance(document, Mapping):
        candidate = document.get("type")
        message_type = candidate if isinstance(candidate, str) else None
    yield from validator_for(message_type).iter_errors(document)


def _key(error: ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    return path or "_schema"


def errors_by_field(document: object) -> dict[str, list[str]]:
    """``{"data.InvoiceLines.0.Number": ["..."]}``; empty when the document is valid."""
    found: dict[str, list[str]] = {}
    try:
        for error in iter_errors(document):
            message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
            found.setdefault(_key(error), []).append(message)
    except RecursionError:
        found.setdefault("_schema", []).append("nested too deeply")
    return found


def check_bytes(body: bytes, *, max_bytes: int = MAX_BYTES) -> dict[str, list[str]]:
    """The whole contract on raw bytes (size, UTF-8, JSON, schema); empty when valid."""
    if len(body) > max_bytes:
        return {"_schema": [f"message is {len(body)} bytes; the limit is {max_bytes}"]}
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return {"_schema": [f"not UTF-8 JSON: {exc}"]}
    return errors_by_field(document)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def validate_result(obj: Mapping[str, Any]) -> None:
    """Raise ContractError unless ``obj`` is a valid result message (``export.*``, ...).

    Checks with the marshmallow schemas (always) and with the JSON Schemas in ``schemas/``
    (whenever that directory is present: a checkout, CI, an image that copies it).
    """
    load_document(obj, allowed_types=RESULT_TYPES)
    if schemas_dir().is_dir():
        errors = errors_by_field(obj)
        if errors:
            raise ContractError(errors)
