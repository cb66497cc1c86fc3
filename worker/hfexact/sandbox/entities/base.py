"""The entity-set seam: what the HTTP layer needs from every Exact endpoint.

``StoredSet`` serves a table of the division; subclasses add the business rules of POST, PUT
and DELETE. Views (receivables, payment terms) subclass ``EntitySet`` and compute records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfexact.sandbox.failures import ApiError, ValidationFailed
from hfexact.sandbox.odata.wire import from_json
from hfexact.sandbox.schema import EntityType
from hfexact.sandbox.store import Division, Record, SandboxState, Table


@dataclass
class Context:
    state: SandboxState
    division: Division
    now: dt.datetime
    api_base: str  # e.g. "http://127.0.0.1:8765/api/v1/123456/"
    divisions: tuple[int, ...] = ()  # the divisions the token's client may use

    def table(self, path: str) -> Table:
        return self.division.table(path)


class EntitySet:
    path: str = ""
    etype: EntityType
    methods: frozenset[str] = frozenset({"GET"})
    page_size: int = 60
    select_required: bool = False
    mandatory_filter: frozenset[str] | None = None
    filterable: frozenset[str] | None = None

    def records(self, ctx: Context) -> list[Record]:
        raise NotImplementedError

    def get(self, ctx: Context, key: Any) -> Record | None:
        return next((r for r in self.records(ctx) if r.get(self.etype.key) == key), None)

    def seq_of(self, ctx: Context, key: Any) -> int | None:
        return None

    def children(self, ctx: Context, nav: str, record: Mapping[str, Any]) -> list[Record]:
        return []

    def create(self, ctx: Context, body: Mapping[str, Any]) -> Record:
        raise ApiError(405, "Method not allowed.")

    def update(self, ctx: Context, key: Any, body: Mapping[str, Any]) -> None:
        raise ApiError(405, "Method not allowed.")

    def delete(self, ctx: Context, key: Any) -> None:
        raise ApiError(405, "Method not allowed.")


class StoredSet(EntitySet):
    """A table of the division; GET returns the rows in insertion order."""

    def table(self, ctx: Context) -> Table:
        return ctx.table(self.path)

    def records(self, ctx: Context) -> list[Record]:
        return self.table(ctx).all()

    def get(self, ctx: Context, key: Any) -> Record | None:
        return self.table(ctx).get(key)

    def seq_of(self, ctx: Context, key: Any) -> int | None:
        return self.table(ctx).seq.get(key)

    def children(self, ctx: Context, nav: str, record: Mapping[str, Any]) -> list[Record]:
        spec = self.etype.navs[nav]
        if spec.target not in ctx.division.tables:
            return []
        return ctx.table(spec.target).find(**{spec.parent_field: record[self.etype.key]})


def coerce(etype: EntityType, body: Mapping[str, Any],
           navs: tuple[str, ...] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a posted body into writable properties and navigation payloads.

    Unknown properties give 400 like Exact's OData reader; read-only ones are ignored.
    """
    values: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    for name, raw in body.items():
        if name == "__metadata":
            continue
        if name in etype.navs:
            if name in navs:
                nested[name] = raw
            continue
        kind = etype.kind(name)
        if kind is None:
            raise ApiError(400, f"Error processing request stream. The property name '{name}' "
                                f"specified for type '{etype.name}' is not valid.")
        if name in etype.writable:
            values[name] = from_json(kind, raw, name)
    return values, nested


class Problems:
    """Collects business-validation messages; ``raise_if_any`` answers 500 with all of them."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationFailed(self.messages)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
