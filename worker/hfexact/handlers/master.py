"""Master data of a division: fetched from Exact, cached in the store, refreshed when stale.

GL account GUIDs are looked up by code (``cache kind "gl"``) and the division's receivables
account under ``("gl_meta", "receivables")``. In steady state every lookup is a store read
and costs no Exact call. A code missing from the cache is fetched once with one filtered GET;
``refresh_after_invalid_reference`` drops the cache when Exact says a reference is invalid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from hfexact.core.lookups import Lookups
from hfexact.core.settings_check import (
    GL_RECEIVABLES,
    GlAccountInfo,
    JournalInfo,
    MasterData,
    VatCodeInfo,
)
from hfexact.errors import ExactRejected
from hfexact.handlers.context import Context

GL = "gl"
GL_META = "gl_meta"
RECEIVABLES = "receivables"
INVALID_REFERENCE = (
    "ongeldige referentie",
    "invalid reference",
    "niet herkende guid",
    "ongeldige ref",
)

T = TypeVar("T")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _gl_info(row: dict[str, Any]) -> GlAccountInfo:
    return GlAccountInfo(
        id=str(row["ID"]),
        code=str(row.get("Code") or "").strip(),
        type=int(row.get("Type") or 0),
        blocked=bool(row.get("IsBlocked")),
    )


def fetch_master_data(ctx: Context) -> MasterData:
    """Everything the settings check needs, read from the division (a few paged GETs)."""
    div = ctx.division
    gl = [
        _gl_info(r)
        for r in ctx.exact.iterate(div, "financial/GLAccounts",
                                   {"$select": "ID,Code,Type,IsBlocked"})
    ]
    journals = [
        JournalInfo(str(r.get("Code") or "").strip(), int(r.get("Type") or 0),
                    bool(r.get("IsBlocked")))
        for r in ctx.exact.iterate(div, "financial/Journals", {"$select": "Code,Type,IsBlocked"})
    ]
    vat = [
        VatCodeInfo(str(r.get("Code") or "").strip(), _percentage(r.get("Percentage")),
                    bool(r.get("IsBlocked")))
        for r in ctx.exact.iterate(div, "vat/VATCodes", {"$select": "Code,Percentage,IsBlocked"})
    ]
    conditions = frozenset(
        str(r.get("Code") or "").strip()
        for r in ctx.exact.iterate(div, "cashflow/PaymentConditions", {"$select": "Code"})
    )
    return MasterData(
        division=div,
        gl_accounts={g.code: g for g in gl},
        journals={j.code: j for j in journals},
        vat_codes={v.code: v for v in vat},
        payment_conditions=conditions,
    )


def _percentage(value: Any) -> Decimal | None:
    """Exact's ``VATCodes.Percentage`` is a fraction (0.21); the settings speak percent."""
    if value is None or value == "":
        return None
    try:
        fraction = Decimal(str(value))
    except InvalidOperation:
        return None
    return fraction * 100 if abs(fraction) <= 1 else fraction


def cache_master_data(ctx: Context, master: MasterData) -> None:
    """Replace the division's cached GL GUIDs with what ``master`` holds."""
    forget(ctx)
    for info in master.gl_accounts.values():
        ctx.store.cache_put(ctx.division, GL, info.code, info.id)
    receivables = master.receivables_gl()
    if receivables is not None:
        ctx.store.cache_put(ctx.division, GL_META, RECEIVABLES, receivables.id)


def _fetch_gl_codes(ctx: Context, codes: Iterable[str]) -> None:
    wanted = sorted({c.strip() for c in codes if c.strip()})
    if not wanted:
        return
    filt = " or ".join(f"Code eq {_quote(c)}" for c in wanted)
    for row in ctx.exact.get(ctx.division, "financial/GLAccounts",
                             {"$filter": filt, "$select": "ID,Code,Type,IsBlocked"}):
        info = _gl_info(row)
        if info.code in wanted and not info.blocked:
            ctx.store.cache_put(ctx.division, GL, info.code, info.id)


def _fetch_receivables(ctx: Context) -> None:
    rows = ctx.exact.get(ctx.division, "financial/GLAccounts",
                         {"$filter": f"Type eq {GL_RECEIVABLES}",
                          "$select": "ID,Code,Type,IsBlocked"})
    found = sorted((_gl_info(r) for r in rows if not r.get("IsBlocked")), key=lambda g: g.code)
    if found:
        ctx.store.cache_put(ctx.division, GL_META, RECEIVABLES, found[0].id)


def lookups_for(ctx: Context, codes: Iterable[str], *, receivables: bool = False) -> Lookups:
    """GUIDs for ``codes`` (and the receivables account): the cache first, Exact once."""
    wanted = {c.strip() for c in codes if c.strip()}
    found: dict[str, str | None] = {
        c: ctx.gl_memo.get((ctx.division, c)) or ctx.store.cache_get(ctx.division, GL, c)
        for c in wanted
    }
    missing = [c for c, g in found.items() if g is None]
    if missing:
        _fetch_gl_codes(ctx, missing)
        found.update({c: ctx.store.cache_get(ctx.division, GL, c) for c in missing})
    recv = ctx.store.cache_get(ctx.division, GL_META, RECEIVABLES) if receivables else None
    if receivables and recv is None:
        _fetch_receivables(ctx)
        recv = ctx.store.cache_get(ctx.division, GL_META, RECEIVABLES)
    resolved = {c: g for c, g in found.items() if g}
    ctx.gl_memo.update({(ctx.division, c): g for c, g in resolved.items()})
    return Lookups(gl_accounts=resolved, receivables_gl=recv)


def forget(ctx: Context) -> None:
    """Drop the division's GL GUIDs from the store's cache and the in-memory memo."""
    ctx.store.cache_drop(ctx.division, GL)
    ctx.store.cache_drop(ctx.division, GL_META)
    for key in [k for k in ctx.gl_memo if k[0] == ctx.division]:
        del ctx.gl_memo[key]


def is_invalid_reference(exc: ExactRejected) -> bool:
    text = f"{exc.exact_message} {exc.message}".lower()
    return any(marker in text for marker in INVALID_REFERENCE)


def with_fresh_references(ctx: Context, attempt: Callable[[], T]) -> T:
    """Run ``attempt``; when Exact calls a reference invalid, drop the cache and retry once.

    ``attempt`` must resolve its lookups itself (``lookups_for``), so the retry uses GUIDs
    fetched anew. Any other rejection, and a second invalid reference, is raised.
    """
    try:
        return attempt()
    except ExactRejected as exc:
        if not is_invalid_reference(exc):
            raise
        forget(ctx)
        return attempt()
