"""The validation fast path: the marshmallow schemas, compiled into plain loops.

marshmallow is the validator of record. This module only *accepts*: for each message type it
compiles the type's marshmallow schema (the very field objects, validators and hooks) into a
plan that runs the same checks without marshmallow's per-field bookkeeping (error stores,
partial loading, getters). A plan never explains a rejection: at the first doubt it gives up
(:class:`Rejected`, or any other exception) and :func:`hfexact.contract.parse.parse_event` asks
marshmallow, whose field-keyed messages go into the dead letter.

Why an accepted message is one marshmallow accepts, with the same result:

- every leaf value goes through its field's own ``_deserialize`` and its field's own
  validators (the same regex, the same ``Decimal``/``date``/``int`` conversion), or, for a plain
  ``fields.String``, through ``type(value) is str``, which is what ``String._deserialize``
  accepts from JSON and returns unchanged;
- ``null``, a missing required key and an unknown key under ``unknown = RAISE`` reject;
  a missing optional key gets the field's ``load_default``, as in marshmallow;
- lists must be JSON arrays and mappings JSON objects (marshmallow takes any collection or
  Mapping: the fast path is narrower, never wider);
- the schema's own ``validates_schema`` and ``post_load`` methods run, in marshmallow's order,
  with marshmallow's arguments; a validator that raises rejects;
- a schema using anything else marshmallow offers (``pre_load``, ``@validates``, collection
  hooks, ``attribute=``, field-level pre/post_load, ``Nested(unknown=...)``, any other field
  class) is not compiled at all: its type always goes to marshmallow.

The JSON is decoded with orjson after a strict UTF-8 check; orjson refuses whatever
``json.loads`` refuses here (NaN, Infinity, BOM, invalid UTF-8, bad control characters) and
more (lone surrogate escapes, depth over 1024), which then goes to marshmallow's path. The one
difference in what both accept: orjson reads an integer beyond 64 bits as a float, and no
accepted message holds such a number (the only number the contract allows is ``version: 1``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from importlib.metadata import version
from typing import Any

import orjson
from marshmallow import EXCLUDE, RAISE, Schema, fields, missing
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

from hfexact.contract import domain
from hfexact.contract.fields import Choice, Const, StrictBool, _Patterned
from hfexact.contract.marshmallow_schemas import ENVELOPE_SCHEMAS

Loader = Callable[[Any], Any]

#: leaf field classes whose ``_deserialize`` reads nothing but the value (not attr, not data)
_LEAVES: tuple[type[fields.Field[Any]], ...] = (_Patterned, Choice, StrictBool, Const)


class Rejected(Exception):
    """The fast path does not accept this message; marshmallow decides and explains."""


class NotCompilable(Exception):
    """A schema uses a marshmallow feature the fast path does not mirror."""


def _reject(*_: Any) -> Any:
    raise Rejected


def _check_field(field: fields.Field[Any]) -> None:
    hooked = getattr(field, "pre_load", None) or getattr(field, "post_load", None)
    if field.attribute is not None or hooked:
        raise NotCompilable(f"{type(field).__name__}: attribute or field-level hooks")


def _leaf(field: fields.Field[Any]) -> Loader:
    """Mirrors ``Field.deserialize`` for a value that is present."""
    _check_field(field)
    validators = tuple(field.validators)
    allow_none = field.allow_none
    if type(field)._deserialize is fields.String._deserialize and not validators:
        def load_text(value: Any) -> Any:
            if type(value) is str:
                return value
            if value is None and allow_none:
                return None
            raise Rejected

        return load_text
    if isinstance(field, fields.String) and type(field)._deserialize is fields.String._deserialize:
        def load_checked_text(value: Any) -> Any:
            if type(value) is not str:
                if value is None and allow_none:
                    return None
                raise Rejected
            for validator in validators:
                if validator(value) is False:
                    raise Rejected
            return value

        return load_checked_text
    if not isinstance(field, _LEAVES):
        raise NotCompilable(f"no fast loader for {type(field).__name__}")
    deserialize = field._deserialize
    if isinstance(field, _Patterned) and type(field)._deserialize is _Patterned._deserialize:
        # _Patterned._deserialize, inlined: a str, the full pattern, the length, then convert
        fullmatch = field.regex.fullmatch
        max_length = field.max_length if field.max_length is not None else -1
        convert = field.convert

        def load_patterned(value: Any) -> Any:
            if (
                type(value) is str
                and fullmatch(value) is not None
                and (max_length < 0 or len(value) <= max_length)
            ):
                output = convert(value)
            elif value is None and allow_none:
                return None
            else:
                raise Rejected
            for validator in validators:
                if validator(output) is False:
                    raise Rejected
            return output

        return load_patterned

    def load(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise Rejected
        output = deserialize(value, None, None)
        for validator in validators:
            if validator(output) is False:
                raise Rejected
        return output

    return load


def _wrap(field: fields.Field[Any], inner: Loader) -> Loader:
    """``null`` handling and the field's own validators around a container loader."""
    validators = tuple(field.validators)
    allow_none = field.allow_none

    def load(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise Rejected
        output = inner(value)
        for validator in validators:
            if validator(output) is False:
                raise Rejected
        return output

    return load


def loader_for(field: fields.Field[Any]) -> Loader:
    """A loader for one field: its value (present in the input) -> the loaded value."""
    _check_field(field)
    if isinstance(field, fields.Nested):
        if field.many or field.unknown is not None or not isinstance(field.schema, Schema):
            raise NotCompilable("Nested with many/unknown")
        return _wrap(field, compile_schema(field.schema))
    if isinstance(field, fields.List):
        item = loader_for(field.inner)

        def load_list(value: Any) -> list[Any]:
            if type(value) is not list:
                raise Rejected
            return [item(each) for each in value]

        return _wrap(field, load_list)
    if type(field) is fields.Dict:
        if field.key_field is None or field.value_field is None:
            raise NotCompilable("Dict without key or value field")
        load_key = loader_for(field.key_field)
        load_value = loader_for(field.value_field)

        def load_dict(value: Any) -> dict[Any, Any]:
            if type(value) is not dict:
                raise Rejected
            keys = {key: load_key(key) for key in value}
            return {keys[key]: load_value(each) for key, each in value.items()}

        return _wrap(field, load_dict)
    return _leaf(field)


_TEXT = object()  # a step's loader for plain text: ``type(value) is str`` inline


def compile_schema(schema: Schema) -> Loader:
    """A loader that does what ``schema.load(document)`` does when it succeeds, or rejects.

    It walks the document's keys (marshmallow walks the declared fields): the loaded dict holds
    the same values, possibly in another order, which nothing downstream depends on (hooks read
    by key, dataclasses are built from keywords).
    """
    if schema.many or schema.partial not in (None, False):
        raise NotCompilable("many or partial")
    hooks = schema._hooks
    if hooks[PRE_LOAD] or hooks[VALIDATES]:
        raise NotCompilable("pre_load or @validates hooks")
    if any(many for _, many, _ in hooks[VALIDATES_SCHEMA] + hooks[POST_LOAD]):
        raise NotCompilable("collection hooks")
    if any(kw.get("pass_original") for _, _, kw in hooks[POST_LOAD]):
        raise NotCompilable("post_load with pass_original")
    unknown = schema.unknown
    if unknown not in (RAISE, EXCLUDE):
        raise NotCompilable(f"unknown = {unknown}")
    steps: dict[str, tuple[str, Any]] = {}
    required: set[str] = set()
    defaults: list[tuple[str, str, Any]] = []
    for name, field in schema.load_fields.items():
        _check_field(field)
        key = field.data_key if field.data_key is not None else name
        if key in steps:
            raise NotCompilable(f"two fields read {key!r}")
        load_value = loader_for(field)
        plain = type(field)._deserialize is fields.String._deserialize and not field.validators
        steps[key] = (name, _TEXT if plain else load_value)
        if field.required:
            required.add(key)
        elif field.load_default is not missing:
            defaults.append((key, name, field.load_default))
    known = frozenset(steps)
    needed = frozenset(required)
    partial = schema.partial
    validators = tuple(
        (getattr(schema, attr), bool(kw.get("pass_original")))
        for attr, _, kw in hooks[VALIDATES_SCHEMA]
    )
    processors = tuple(getattr(schema, attr) for attr, _, _ in hooks[POST_LOAD])
    raise_unknown = unknown == RAISE
    step_for = steps.get

    def load(document: Any) -> Any:
        if type(document) is not dict:
            raise Rejected
        keys = document.keys()
        if raise_unknown and not keys <= known:
            raise Rejected
        if not needed <= keys:
            raise Rejected
        result: dict[str, Any] = {}
        for key, value in document.items():
            step = step_for(key)
            if step is None:
                continue  # unknown = EXCLUDE: not loaded (hooks may look at it)
            name, load_value = step
            if load_value is _TEXT:
                if type(value) is not str:
                    raise Rejected
                result[name] = value
            else:
                result[name] = load_value(value)
        for key, name, default in defaults:
            if key not in document:
                result[name] = default() if callable(default) else default
        for validator, pass_original in validators:
            if pass_original:
                validator(result, document, partial=partial, many=False, unknown=unknown)
            else:
                validator(result, partial=partial, many=False, unknown=unknown)
        output: Any = result
        for processor in processors:
            output = processor(output, many=False, partial=partial, unknown=unknown)
        return output

    return load


def _compile_all() -> dict[str, Loader]:
    plans: dict[str, Loader] = {}
    if not version("marshmallow").startswith("4."):
        return plans  # the plans mirror marshmallow 4's load; any other: marshmallow alone
    for message_type, schema in ENVELOPE_SCHEMAS.items():
        try:
            plans[message_type] = compile_schema(schema)
        except NotCompilable:
            continue  # marshmallow alone, always
    return plans


PLANS: dict[str, Loader] = _compile_all()


def fast_parse(
    body: bytes, *, max_bytes: int, allowed_types: Collection[str]
) -> domain.Envelope | None:
    """The Envelope, when the fast path accepts ``body``; None when marshmallow must decide."""
    if len(body) > max_bytes:
        return None
    try:
        body.decode("utf-8")  # Python's strict UTF-8, as parse.decode checks it
        document = orjson.loads(body)
    except (UnicodeDecodeError, orjson.JSONDecodeError):
        return None
    if type(document) is not dict:
        return None
    message_type = document.get("type")
    if type(message_type) is not str or message_type not in allowed_types:
        return None
    plan = PLANS.get(message_type)
    if plan is None:
        return None
    try:
        loaded: Mapping[str, Any] = plan(document)
        return domain.Envelope.of(message_type, loaded, document)
    except Exception:  # noqa: BLE001 - any doubt at all: marshmallow decides
        return None
