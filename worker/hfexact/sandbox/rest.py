"""OData requests on ``/api/v1/{division}/…``: resolve the entity set, run the query, render.

URL forms: ``service/Entity``, ``service/Entity(guid'…')`` (or ``(123L)`` for Int64 keys),
``service/Entity(key)/Navigation`` and ``service/Entity/$count``. Paths are matched without
regard to case, as Exact's are.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfexact.sandbox.entities.base import Context, EntitySet
from hfexact.sandbox.failures import ApiError
from hfexact.sandbox.odata import wire
from hfexact.sandbox.odata.query import QueryOptions, next_link, parse_options, run_query
from hfexact.sandbox.store import Record


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None


@dataclass
class Target:
    eset: EntitySet
    key: Any = None
    nav: str | None = None
    count: bool = False


def parse_key(raw: str, kind: str) -> Any:
    raw = raw.strip()
    try:
        if kind == "guid":
            if raw.lower().startswith("guid'") and raw.endswith("'"):
                return str(uuid.UUID(raw[5:-1]))
            raise ValueError(raw)
        return int(raw.rstrip("Ll"))
    except ValueError:
        raise ApiError(400, "Error in query syntax.") from None


def resolve(sets: Mapping[str, EntitySet], rest: str) -> Target:
    count = False
    if rest.endswith("/$count"):
        rest, count = rest[: -len("/$count")], True
    key_raw: str | None = None
    nav: str | None = None
    if "(" in rest:
        head, _, tail = rest.partition("(")
        key_raw, close, after = tail.partition(")")
        if not close or (after and not after.startswith("/")):
            raise ApiError(400, "Error in query syntax.")
        nav = after[1:] or None
        rest = head
    eset = sets.get(rest.lower())
    if eset is None:
        raise ApiError(404, f"Resource not found for the segment '{rest.rsplit('/', 1)[-1]}'.")
    key = parse_key(key_raw, eset.etype.fields[eset.etype.key]) if key_raw is not None else None
    if nav is not None and nav not in eset.etype.navs:
        raise ApiError(404, f"Resource not found for the segment '{nav}'.")
    return Target(eset, key, nav, count)


class Renderer:
    """Shapes records (``$select``, ``$expand``, ``__metadata``, ``__deferred``) and renders."""

    def __init__(self, ctx: Context, sets: Mapping[str, EntitySet], as_json: bool) -> None:
        self.ctx = ctx
        self.sets = sets
        self.as_json = as_json

    def uri(self, eset: EntitySet, record: Mapping[str, Any]) -> str:
        kind = eset.etype.fields[eset.etype.key]
        key = record.get(eset.etype.key)
        literal = {"guid": f"guid'{key}'", "int64": f"{key}L"}.get(kind, str(key))
        return f"{self.ctx.api_base}{eset.path}({literal})"

    def shape(self, eset: EntitySet, record: Mapping[str, Any],
              opts: QueryOptions | None) -> wire.Shaped:
        etype = eset.etype
        select = opts.select if opts else None
        expand = opts.expand if opts else set()
        wanted = [p.split("/", 1)[0] for p in select] if select else None
        props = {name: record.get(name) for name in etype.fields
                 if wanted is None or name in wanted}
        uri = self.uri(eset, record)
        shaped = wire.Shaped(etype, uri, props)
        for nav in etype.navs:
            if wanted is not None and nav not in wanted and nav not in expand:
                continue
            child_set = self.sets.get(etype.navs[nav].target.lower())
            if nav in expand and child_set is None:
                shaped.navs[nav] = []
            elif nav in expand and child_set is not None:
                sub = [p.split("/", 1)[1] for p in (select or []) if p.startswith(nav + "/")]
                child_opts = QueryOptions(select=sub or None)
                shaped.navs[nav] = [self.shape(child_set, c, child_opts)
                                    for c in eset.children(self.ctx, nav, record)]
            else:
                shaped.navs[nav] = f"{uri}/{nav}"
        return shaped

    def collection(self, self_url: str, records: list[wire.Shaped], next_url: str | None) -> Reply:
        if self.as_json:
            return Reply(200, wire.json_collection(records, next_url),
                         "application/json; charset=utf-8")
        return Reply(200, wire.atom_collection(self_url, records, next_url),
                     "application/atom+xml;type=feed;charset=utf-8")

    def entity(self, status: int, record: wire.Shaped) -> Reply:
        if self.as_json:
            return Reply(status, wire.json_entity(record), "application/json; charset=utf-8")
        return Reply(status, wire.atom_entity(record),
                     "application/atom+xml;type=entry;charset=utf-8")


def handle(ctx: Context, sets: Mapping[str, EntitySet], method: str, rest: str,
           args: Mapping[str, str], body: bytes, as_json: bool) -> Reply:
    target = resolve(sets, rest)
    eset = target.eset
    if method not in eset.methods:
        raise ApiError(405, "The requested method is not allowed for this resource.")
    render = Renderer(ctx, sets, as_json)
    if method == "GET":
        return _get(ctx, sets, target, args, render)
    if target.nav is not None or target.count:
        raise ApiError(405, "The requested method is not allowed for this resource.")
    if method == "POST":
        if target.key is not None:
            raise ApiError(405, "The requested method is not allowed for this resource.")
        record = eset.create(ctx, wire.parse_json_body(body))
        return render.entity(201, render.shape(eset, record, QueryOptions(
            expand=set(eset.etype.navs))))
    if target.key is None:
        raise ApiError(405, "The requested method is not allowed for this resource.")
    if method == "PUT":
        eset.update(ctx, target.key, wire.parse_json_body(body))
        return Reply(204)
    eset.delete(ctx, target.key)
    return Reply(204)


def _get(ctx: Context, sets: Mapping[str, EntitySet], target: Target, args: Mapping[str, str],
         render: Renderer) -> Reply:
    eset = target.eset
    self_url = f"{ctx.api_base}{eset.path}"
    if target.key is not None:
        record = eset.get(ctx, target.key)
        if record is None:
            raise ApiError(404, f"Resource not found for the segment "
                                f"'{eset.path.rsplit('/', 1)[-1]}'.")
        if target.nav is None:
            opts = parse_options(args, eset.etype)
            return render.entity(200, render.shape(eset, record, opts))
        child = sets.get(eset.etype.navs[target.nav].target.lower())
        if child is None:  # e.g. ReceivablesList Notes: resolves, always empty here
            return render.collection(render.uri(eset, record) + "/" + target.nav, [], None)
        return _list(ctx, child, eset.children(ctx, target.nav, record), args, render,
                     render.uri(eset, record) + "/" + target.nav, target.count)
    opts_check = parse_options(args, eset.etype, select_required=eset.select_required
                               and not target.count)
    if eset.mandatory_filter is not None and not (opts_check.filter_names
                                                  & eset.mandatory_filter):
        from hfexact.sandbox.entities.accounts import MANDATORY_FILTER_MESSAGE

        raise ApiError(400, MANDATORY_FILTER_MESSAGE)
    if eset.filterable is not None:
        refused = sorted(opts_check.filter_names - eset.filterable)
        if refused:
            raise ApiError(400, "Filtering on these fields is not supported: "
                                + ", ".join(refused))
    return _list(ctx, eset, eset.records(ctx), args, render, self_url, target.count)


def _list(ctx: Context, eset: EntitySet, records: list[Record], args: Mapping[str, str],
          render: Renderer, self_url: str, count: bool) -> Reply:
    opts = parse_options(args, eset.etype, select_required=eset.select_required and not count)
    if count:
        matched = [r for r in records if opts.predicate is None or opts.predicate(r)]
        return Reply(200, str(len(matched)).encode(), "text/plain; charset=utf-8")
    page = run_query(records, opts, eset.etype, eset.page_size,
                     lambda key: eset.seq_of(ctx, key))
    shaped = [render.shape(eset, r, opts) for r in page.records]
    next_url = None
    if page.next_token:
        next_url = next_link(self_url, args, page.next_token, opts.top, len(page.records))
    return render.collection(self_url, shaped, next_url)
