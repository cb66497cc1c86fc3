"""Read views over the open items: ``read/financial/ReceivablesList`` and ``PayablesList``,
``cashflow/Receivables`` (+ ``bulk/Cashflow/Receivables``) and ``sync/Cashflow/PaymentTerms``.

ReceivablesList/PayablesList show the *outstanding* items only: a matched (paid) invoice drops
out, a partly paid one shows what is still open. Open entries (Status 20, not yet processed)
are included: HostFact compares Exact's open items with its open invoices, and its entries are
created in status 20, so the sandbox lists them (reference §9 leaves this unverified).
"""

from __future__ import annotations

from typing import Any

from hfexact.sandbox import ledger
from hfexact.sandbox.entities.base import Context, EntitySet
from hfexact.sandbox.schema import (
    PAYABLES_LIST,
    PAYMENT_TERM,
    RECEIVABLE,
    RECEIVABLES_LIST,
)
from hfexact.sandbox.store import Record

BULK_RECEIVABLE_FILTERS = frozenset((
    "Account", "Document", "EndDate", "EndToEndID", "EntryDate", "EntryID", "GLAccount", "ID",
    "InvoiceDate", "InvoiceNumber", "Source", "Status", "TransactionID", "TransactionType"))


def _with_account(ctx: Context, term: Record) -> Record:
    account = ctx.table("crm/Accounts").get(term.get("Account"))
    row = {k: v for k, v in term.items() if not k.startswith("_")}
    if account is not None:
        row["AccountCode"], row["AccountName"] = account["Code"], account["Name"]
    return row


class _OpenList(EntitySet):
    kind = ledger.RECEIVABLE

    def records(self, ctx: Context) -> list[Record]:
        rows = []
        for term in sorted(ctx.division.ledger.find(_kind=self.kind, Status=20),
                           key=lambda t: t["HID"]):
            full = _with_account(ctx, term)
            rows.append({
                "HID": term["HID"], "AccountId": term["Account"],
                "AccountCode": full.get("AccountCode"), "AccountName": full.get("AccountName"),
                "Amount": term["AmountFC"], "AmountInTransit": 0, "CurrencyCode": "EUR",
                "Description": term.get("Description"), "DueDate": term.get("DueDate"),
                "EntryNumber": term.get("EntryNumber"), "Id": term["ID"],
                "InvoiceDate": term.get("InvoiceDate"),
                "InvoiceNumber": term.get("InvoiceNumber"), "JournalCode": term.get("Journal"),
                "JournalDescription": term.get("JournalDescription"),
                "YourRef": term.get("YourRef"), "ApprovalStatus": None})
        return rows

    def seq_of(self, ctx: Context, key: Any) -> int | None:
        return int(key) if isinstance(key, int) else None


class ReceivablesList(_OpenList):
    path = "read/financial/ReceivablesList"
    etype = RECEIVABLES_LIST
    kind = ledger.RECEIVABLE


class PayablesList(_OpenList):
    path = "read/financial/PayablesList"
    etype = PAYABLES_LIST
    kind = ledger.PAYABLE


class Receivables(EntitySet):
    path = "cashflow/Receivables"
    etype = RECEIVABLE

    def records(self, ctx: Context) -> list[Record]:
        terms = sorted(ctx.division.ledger.find(_kind=ledger.RECEIVABLE), key=lambda t: t["HID"])
        return [_with_account(ctx, t) for t in terms]

    def seq_of(self, ctx: Context, key: Any) -> int | None:
        term = ctx.division.ledger.get(key)
        return term["HID"] if term else None


class BulkReceivables(Receivables):
    path = "bulk/Cashflow/Receivables"
    page_size = 1000
    select_required = True
    filterable = BULK_RECEIVABLE_FILTERS


class PaymentTerms(EntitySet):
    path = "sync/Cashflow/PaymentTerms"
    etype = PAYMENT_TERM
    page_size = 1000
    select_required = True
    filterable = frozenset({"Timestamp"})

    def records(self, ctx: Context) -> list[Record]:
        terms = sorted(ctx.division.ledger.all(), key=lambda t: t["Timestamp"])
        return [_with_account(ctx, t) for t in terms]

    def seq_of(self, ctx: Context, key: Any) -> int | None:
        return int(key) if isinstance(key, int) else None
