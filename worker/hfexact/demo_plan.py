"""The demo's bank feed: which exported invoices get paid, how much and when (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hfexact.store import Binding

FULL_PAYMENTS = 30


@dataclass(frozen=True)
class Payment:
    kind: str  # sales | purchase
    code: str
    entry_number: int
    amount: str
    date: str
    how: str  # full | partial | overpaid


def plan_payments(report: Mapping[str, Any], bindings: Mapping[str, Sequence[Binding]],
                  today: dt.date, *, full: int = FULL_PAYMENTS) -> list[Payment]:
    """The bank feed of the demo: one part payment, one overpayment, ``full`` payments in
    full, and the first purchase invoice paid; invoices in the direct-debit batch and the
    credited one are left to the batch and the credit note."""
    numbers = {b.hostfact_id: int(b.exact_number) for b in bindings.get("invoice", ())
               if b.state == "done" and b.exact_number}

    def pay_date(invoice_date: str) -> str:
        return min(dt.date.fromisoformat(invoice_date) + dt.timedelta(days=7), today).isoformat()

    open_sales = [i for i in report["invoices"]
                  if str(i["Status"]) == "2" and not i.get("SDDBatchID")
                  and str(i["Identifier"]) in numbers]
    open_sales.sort(key=lambda i: str(i["InvoiceCode"]))
    plan: list[Payment] = []
    for n, invoice in enumerate(open_sales[: full + 2]):
        total = Decimal(str(invoice["AmountIncl"]))
        how, amount = "full", total
        if n == 0:
            how, amount = "partial", (total / 2).quantize(Decimal("0.01"))
        elif n == 1:
            how, amount = "overpaid", total + Decimal("10.00")
        plan.append(Payment("sales", str(invoice["InvoiceCode"]),
                            numbers[str(invoice["Identifier"])], f"{amount:.2f}",
                            pay_date(str(invoice["Date"])), how))
    purchases = sorted((p for p in report["purchase_invoices"]
                        if str(p["Identifier"]) in _purchase_ids(bindings)),
                       key=lambda p: str(p["CreditInvoiceCode"]))
    if purchases:
        p = purchases[0]
        plan.append(Payment("purchase", str(p["CreditInvoiceCode"]),
                            _purchase_ids(bindings)[str(p["Identifier"])],
                            f"{Decimal(str(p['AmountIncl'])):.2f}", pay_date(str(p["Date"])),
                            "full"))
    return plan


def _purchase_ids(bindings: Mapping[str, Sequence[Binding]]) -> dict[str, int]:
    return {b.hostfact_id: int(b.exact_number) for b in bindings.get("purchase_invoice", ())
            if b.state == "done" and b.exact_number}
