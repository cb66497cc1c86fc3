"""Make an open entry's lines equal to the wanted lines, idempotently.

Exact's PUT on an entry header does not replace lines; lines are POSTed and DELETEd one by one,
and deleting the last line deletes the whole entry. So: lines already equal to a wanted line
are kept, missing ones are POSTed first, surplus ones DELETEd after. Running this again (after
a crash half-way) converges on the same lines without doubling any.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from hfexact.handlers.context import Context

SELECT = "ID,GLAccount,AmountFC,VATCode,VATAmountFC,Description"

LineKey = tuple[str, Decimal, str, Decimal, str]


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal("NaN")


def line_key(line: Mapping[str, Any]) -> LineKey:
    return (
        str(line.get("GLAccount") or "").lower(),
        _amount(line.get("AmountFC")),
        str(line.get("VATCode") or "").strip(),
        _amount(line.get("VATAmountFC")),
        " ".join(str(line.get("Description") or "").split()),
    )


def sync_lines(
    ctx: Context, path: str, entry_id: str, wanted: Sequence[Mapping[str, Any]]
) -> tuple[int, int]:
    """POST the missing lines, then DELETE the surplus ones; returns (posted, deleted)."""
    existing = list(ctx.exact.iterate(ctx.division, path, {
        "$filter": f"EntryID eq guid'{entry_id}'", "$select": SELECT}))
    unmatched = Counter(line_key(x) for x in existing)
    to_post: list[Mapping[str, Any]] = []
    for line in wanted:
        key = line_key(line)
        if unmatched[key] > 0:
            unmatched[key] -= 1
        else:
            to_post.append(line)
    surplus = []
    for row in existing:
        key = line_key(row)
        if unmatched[key] > 0:
            unmatched[key] -= 1
            surplus.append(str(row["ID"]))
    for line in to_post:
        ctx.exact.post(ctx.division, path, {**line, "EntryID": entry_id})
    for line_id in surplus:
        ctx.exact.delete(ctx.division, f"{path}(guid'{line_id}')")
    return len(to_post), len(surplus)
