"""What the demo shows at the end: each HostFact record with its Exact counterpart and its
final payment state in HostFact, the counts, and the time taken (pure: data in, rich tables out).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.table import Table

from hfexact.store import Binding

#: HostFact's invoice status codes (shared/reference/hostfact.md)
SALES_STATUS = {"0": "concept", "1": "queued", "2": "open", "3": "part paid", "4": "paid",
                "8": "credit invoice", "9": "credited"}
PURCHASE_STATUS = {"0": "not received", "1": "open", "2": "part paid", "3": "paid",
                   "8": "credit", "9": "cancelled"}


@dataclass(frozen=True)
class Row:
    kind: str  # debtor, creditor, invoice, purchase, SDD batch
    hostfact_code: str
    name: str
    exact: str  # account code or entry number; "" when not exported
    status: str = ""
    amount: str = ""
    paid: str = ""
    pay_date: str = ""


@dataclass(frozen=True)
class Counts:
    records: int
    exported: int
    paid: int
    part_paid: int
    open: int
    dead_letters: int

    def as_dict(self) -> dict[str, int]:
        return {"records": self.records, "exported": self.exported, "paid": self.paid,
                "part_paid": self.part_paid, "open": self.open,
                "dead_letters": self.dead_letters}


def _by_id(bindings: Iterable[Binding]) -> dict[str, Binding]:
    return {b.hostfact_id: b for b in bindings if b.state == "done"}


def _exact_code(binding: Binding | None) -> str:
    if binding is None:
        return ""
    return (binding.exact_code or "").strip() or (binding.exact_number or "")


def _money(value: Any) -> str:
    if value in (None, ""):
        return ""
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def build_rows(report: Mapping[str, Any], bindings: Mapping[str, Sequence[Binding]]) -> list[Row]:
    """One row per HostFact record, joined with the store's bindings (HostFact id -> Exact)."""
    rows: list[Row] = []
    debtors = _by_id(bindings.get("debtor", ()))
    names = {str(d["DebtorCode"]): str(d["Name"]) for d in report["debtors"]}
    for d in report["debtors"]:
        rows.append(Row("debtor", str(d["DebtorCode"]), str(d["Name"]),
                        _exact_code(debtors.get(str(d["Identifier"])))))
    creditors = _by_id(bindings.get("creditor", ()))
    creditor_names = {str(c["CreditorCode"]): str(c["Name"]) for c in report["creditors"]}
    for c in report["creditors"]:
        rows.append(Row("creditor", str(c["CreditorCode"]), str(c["Name"]),
                        _exact_code(creditors.get(str(c["Identifier"])))))
    invoices = _by_id(bindings.get("invoice", ()))
    for i in report["invoices"]:
        binding = invoices.get(str(i["Identifier"]))
        status = str(i["Status"])
        rows.append(Row(
            "invoice", str(i["InvoiceCode"]), names.get(str(i["DebtorCode"]), ""),
            binding.exact_number or "" if binding else "",
            SALES_STATUS.get(status, status), _money(i["AmountIncl"]),
            _money(i["AmountPaid"]) if status in ("3", "4") else "", str(i.get("PayDate") or ""),
        ))
    purchases = _by_id(bindings.get("purchase_invoice", ()))
    for p in report["purchase_invoices"]:
        binding = purchases.get(str(p["Identifier"]))
        status = str(p["Status"])
        rows.append(Row(
            "purchase", str(p["CreditInvoiceCode"]),
            creditor_names.get(str(p["CreditorCode"]), ""),
            binding.exact_number or "" if binding else "",
            PURCHASE_STATUS.get(status, status), _money(p["AmountIncl"]),
            _money(p["AmountPaid"]) if status in ("2", "3") else "", str(p.get("PayDate") or ""),
        ))
    batches = _by_id(bindings.get("sdd_batch", ()))
    for b in report["sdd_batches"]:
        binding = batches.get(str(b["BatchID"]))
        rows.append(Row("SDD batch", str(b["BatchID"]), f"{b['Count']} invoices",
                        binding.exact_number or "" if binding else "", str(b["Status"]),
                        _money(b["Amount"]), "", str(b["Date"])))
    return rows


def count(rows: Sequence[Row], dead_letters: int) -> Counts:
    payable = [r for r in rows if r.kind in ("invoice", "purchase")]
    statuses = Counter(r.status for r in payable)
    return Counts(
        records=len(rows),
        exported=sum(1 for r in rows if r.exact),
        paid=statuses["paid"],
        part_paid=statuses["part paid"],
        open=statuses["open"],
        dead_letters=dead_letters,
    )


STATUS_STYLE = {"paid": "green", "part paid": "yellow", "open": "cyan", "credited": "magenta",
                "credit invoice": "magenta", "downloaded": "green"}


def table(rows: Sequence[Row]) -> Table:
    out = Table(title="HostFact records and their Exact counterparts", header_style="bold",
                show_lines=False, expand=False)
    out.add_column("HostFact", no_wrap=True)
    out.add_column("code", no_wrap=True)
    out.add_column("name", overflow="ellipsis", max_width=24, no_wrap=True)
    out.add_column("Exact", no_wrap=True, justify="right")
    out.add_column("status in HostFact", no_wrap=True)
    out.add_column("amount", justify="right", no_wrap=True)
    out.add_column("paid", justify="right", no_wrap=True)
    out.add_column("pay date", no_wrap=True)
    for r in rows:
        style = STATUS_STYLE.get(r.status, "")
        status = f"[{style}]{r.status}[/]" if style and r.status else r.status
        exact = r.exact or "[red]not exported[/]"
        out.add_row(r.kind, r.hostfact_code, r.name, exact, status, r.amount, r.paid, r.pay_date)
    return out


def counts_table(counts: Counts, elapsed: float, extra: Mapping[str, Any]) -> Table:
    out = Table(title="Summary", show_header=False, expand=False)
    out.add_column("what", style="bold")
    out.add_column("value", justify="right")
    out.add_row("HostFact records", str(counts.records))
    out.add_row("exported to Exact", str(counts.exported))
    out.add_row("paid in HostFact", str(counts.paid))
    out.add_row("part paid in HostFact", str(counts.part_paid))
    out.add_row("still open", str(counts.open))
    style = "green" if counts.dead_letters == 0 else "red"
    out.add_row("dead letters", f"[{style}]{counts.dead_letters}[/]")
    for key, value in extra.items():
        out.add_row(key, str(value))
    out.add_row("time taken", f"{elapsed:.1f} s")
    return out
