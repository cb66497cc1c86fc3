"""``salesentry/SalesEntryLines`` and ``purchaseentry/PurchaseEntryLines``: lines of an open
entry (POST with ``EntryID``, PUT, DELETE; deleting the last line deletes the whole entry)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from hfexact.sandbox import messages as msg
from hfexact.sandbox.entities.base import Context, Problems, StoredSet, coerce
from hfexact.sandbox.entities.entries import (
    PURCHASE,
    SALES,
    Entries,
    Kind,
    PurchaseEntries,
    SalesEntries,
    check_line,
)
from hfexact.sandbox.failures import ApiError, ValidationFailed
from hfexact.sandbox.schema import PURCHASE_LINE, SALES_LINE
from hfexact.sandbox.store import Record


class EntryLines(StoredSet):
    kind: Kind = SALES
    entries: Entries = SalesEntries()
    methods = frozenset({"GET", "POST", "PUT", "DELETE"})

    def _entry(self, ctx: Context, entry_id: Any) -> Record:
        entry = ctx.table(self.kind.path).get(entry_id)
        if entry is None:
            raise ValidationFailed([msg.ENTRY_UNKNOWN])
        if entry["Status"] != 20:
            raise ValidationFailed([msg.ALREADY_PROCESSED])
        return entry

    def create(self, ctx: Context, body: Mapping[str, Any]) -> Record:
        values, _ = coerce(self.etype, body)
        if values.get("EntryID") is None:
            raise ValidationFailed([msg.MANDATORY.format("Boeking")])
        entry = self._entry(ctx, values["EntryID"])
        problems = Problems()
        check_line(ctx, self.kind, values, problems)
        problems.raise_if_any()
        siblings = self.table(ctx).find(EntryID=entry["EntryID"])
        row: Record = dict.fromkeys(self.etype.fields)
        row.update(values)
        row.update({"ID": str(uuid.uuid4()), "LineNumber": len(siblings) + 1})
        self.table(ctx).insert(row)
        self.entries.recompute(ctx, entry)
        return row

    def update(self, ctx: Context, key: Any, body: Mapping[str, Any]) -> None:
        line = self.table(ctx).get(key)
        if line is None:
            raise ApiError(404, "Resource not found for the segment "
                                f"'{self.path.rsplit('/', 1)[-1]}'.")
        entry = self._entry(ctx, line["EntryID"])
        values, _ = coerce(self.etype, body)
        values.pop("EntryID", None)
        merged = {**line, **values}
        if "AmountFC" in values and "VATAmountFC" not in values:
            merged["VATAmountFC"] = None
        problems = Problems()
        check_line(ctx, self.kind, merged, problems)
        problems.raise_if_any()
        line.update(merged)
        self.entries.recompute(ctx, entry)

    def delete(self, ctx: Context, key: Any) -> None:
        line = self.table(ctx).get(key)
        if line is None:
            raise ApiError(404, "Resource not found for the segment "
                                f"'{self.path.rsplit('/', 1)[-1]}'.")
        entry = self._entry(ctx, line["EntryID"])
        if len(self.table(ctx).find(EntryID=entry["EntryID"])) == 1:
            self.entries.delete(ctx, entry["EntryID"])
            return
        self.table(ctx).delete(key)
        self.entries.recompute(ctx, entry)


class SalesEntryLines(EntryLines):
    path = SALES.lines_path
    etype = SALES_LINE
    kind = SALES
    entries = SalesEntries()


class PurchaseEntryLines(EntryLines):
    path = PURCHASE.lines_path
    etype = PURCHASE_LINE
    kind = PURCHASE
    entries = PurchaseEntries()
