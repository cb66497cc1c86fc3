"""Query options (``$select $filter $orderby $top $skip $skiptoken $expand``) and paging.

Exact pages 60 records (1,000 on ``bulk/`` and ``sync/``) and links the next page in
``d.__next``: the request's own URL with a ``$skiptoken`` naming the last record's key
(``guid'…'`` or ``123L``), which clients must follow verbatim.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from hfexact.sandbox.failures import ApiError
from hfexact.sandbox.odata.filter import Predicate, compile_filter
from hfexact.sandbox.schema import EntityType

Record = Mapping[str, Any]


@dataclass
class QueryOptions:
    select: list[str] | None = None
    expand: set[str] = field(default_factory=set)
    predicate: Predicate | None = None
    filter_names: set[str] = field(default_factory=set)
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    skiptoken: str | None = None
    raw: dict[str, str] = field(default_factory=dict)


def _int_option(name: str, value: str) -> int:
    if not value.strip().isdigit():
        raise ApiError(400, f"Invalid {name} value.")
    return int(value.strip())


def parse_options(args: Mapping[str, str], etype: EntityType, *,
                  select_required: bool = False) -> QueryOptions:
    opts = QueryOptions(raw=dict(args))
    select = args.get("$select")
    if select is not None and select.strip():
        props = [p.strip() for p in select.split(",") if p.strip()]
        for prop in props:
            head = prop.split("/", 1)[0]
            if prop != "*" and not etype.has(head):
                raise ApiError(400, f"No property '{head}' exists in type '{etype.name}'.")
        opts.select = None if "*" in props else props
    elif select_required:
        raise ApiError(400, "Please add a $select statement to the query string.")
    expand = args.get("$expand")
    if expand:
        for nav in (p.strip() for p in expand.split(",") if p.strip()):
            if nav not in etype.navs:
                raise ApiError(400, f"No navigation property '{nav}' exists in type "
                                    f"'{etype.name}'.")
            opts.expand.add(nav)
    text = args.get("$filter")
    if text is not None and text.strip():
        opts.predicate, opts.filter_names = compile_filter(text, etype)
    order = args.get("$orderby")
    if order:
        for part in (p.strip() for p in order.split(",") if p.strip()):
            words = part.split()
            if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise ApiError(400, "Error in query syntax.")
            if etype.kind(words[0]) is None:
                raise ApiError(400, f"No property '{words[0]}' exists in type '{etype.name}'.")
            opts.orderby.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    if args.get("$top") is not None:
        opts.top = _int_option("$top", args["$top"])
    if args.get("$skip") is not None:
        opts.skip = _int_option("$skip", args["$skip"])
    opts.skiptoken = args.get("$skiptoken") or None
    return opts


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float | Decimal):
        return (1, Decimal(str(value)))
    return (2, value) if not isinstance(value, str) else (3, value)


def _by(prop: str) -> Callable[[Record], tuple[int, Any]]:
    def key(record: Record) -> tuple[int, Any]:
        return _sort_key(record.get(prop))

    return key


def format_token(key_kind: str, key: Any) -> str:
    return {"guid": f"guid'{key}'", "int64": f"{key}L"}.get(key_kind, str(key))


def _parse_token(token: str, key_kind: str) -> Any:
    try:
        if key_kind == "guid":
            if not (token.lower().startswith("guid'") and token.endswith("'")):
                raise ValueError(token)
            return str(uuid.UUID(token[5:-1]))
        return int(token.rstrip("Ll"))
    except ValueError:
        raise ApiError(400, "Error in query syntax.") from None


@dataclass
class Page:
    records: list[Record]
    next_token: str | None


def run_query(records: Sequence[Record], opts: QueryOptions, etype: EntityType, page_size: int,
              seq_of: Callable[[Any], int | None]) -> Page:
    """Filter, order and cut one page; ``seq_of`` maps a key to its insertion sequence."""
    rows = [r for r in records if opts.predicate is None or opts.predicate(r)]
    for prop, desc in reversed(opts.orderby):
        rows.sort(key=_by(prop), reverse=desc)
    key_kind = etype.fields[etype.key]
    if opts.skiptoken is not None:
        key = _parse_token(opts.skiptoken, key_kind)
        keys = [r.get(etype.key) for r in rows]
        if key in keys:
            rows = rows[keys.index(key) + 1:]
        elif not opts.orderby and seq_of(key) is not None:
            after = seq_of(key) or 0
            rows = [r for r in rows if (seq_of(r.get(etype.key)) or 0) > after]
        else:
            raise ApiError(400, "The skip token is not valid.")
    elif opts.skip:
        rows = rows[opts.skip:]
    limit = page_size if opts.top is None else min(page_size, opts.top)
    page = rows[:limit]
    more = len(rows) > limit and (opts.top is None or opts.top > limit)
    token = format_token(key_kind, page[-1].get(etype.key)) if more and page else None
    return Page(page, token)


def next_link(base: str, args: Mapping[str, str], token: str, top: int | None,
              served: int) -> str:
    params = {k: v for k, v in args.items() if k not in ("$skiptoken", "$skip")}
    if top is not None:
        params["$top"] = str(top - served)
    params["$skiptoken"] = token
    return base + "?" + urlencode(params, quote_via=quote, safe="$',()=:")
