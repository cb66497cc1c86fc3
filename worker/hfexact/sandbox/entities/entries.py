"""``salesentry/SalesEntries`` and ``purchaseentry/PurchaseEntries`` with their lines.

Rules (reference §3.2/3.3): the relation must be a customer (Status C) or a supplier
(IsSupplier); the journal is a code of a sales (20) or purchase (22) journal; lines need a G/L
account GUID that is not AR/AP/VAT/bank/cash, and ``AmountFC`` excluding VAT; VAT comes from the
line's VAT code (else the G/L account's default code) as ``round(AmountFC * Percentage, 2)``
unless ``VATAmountFC`` is given; ``EntryNumber`` is the journal's next free number per year
unless given, and a used number is refused; new entries are open (Status 20); a negative total
is a credit note (Type 21/31); ``DueDate`` follows the payment condition; PUT and DELETE only
while Status is 20; PUT does not touch lines; deleting the last line deletes the entry.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hfexact.sandbox import ledger
from hfexact.sandbox import messages as msg
from hfexact.sandbox.entities.base import Context, Problems, StoredSet, blank, coerce
from hfexact.sandbox.entities.numbering import next_number_in, number_in_use
from hfexact.sandbox.failures import ApiError, ValidationFailed
from hfexact.sandbox.schema import (
    PURCHASE_ENTRY,
    PURCHASE_LINE,
    SALES_ENTRY,
    SALES_LINE,
    EntityType,
)
from hfexact.sandbox.seed import DEFAULT_SALES_CONDITION
from hfexact.sandbox.store import Record

CENT = Decimal("0.01")
FORBIDDEN_LINE_GL_TYPES = {10, 12, 20, 22, 24}


@dataclass(frozen=True)
class Kind:
    path: str
    lines_path: str
    lines_nav: str
    etype: EntityType
    line_type: EntityType
    party: str
    party_name: str
    journal_type: int
    vat_side: str
    types: tuple[int, int]
    ledger_kind: str
    party_condition: str
    party_required: str
    party_unknown: str
    party_wrong: str
    segment: str


SALES = Kind("salesentry/SalesEntries", "salesentry/SalesEntryLines", "SalesEntryLines",
             SALES_ENTRY, SALES_LINE, "Customer", "CustomerName", 20, "S", (20, 21),
             ledger.RECEIVABLE, "PaymentConditionSales", msg.CUSTOMER_REQUIRED,
             msg.CUSTOMER_UNKNOWN, msg.CUSTOMER_NOT_CUSTOMER, "SalesEntries")
PURCHASE = Kind("purchaseentry/PurchaseEntries", "purchaseentry/PurchaseEntryLines",
                "PurchaseEntryLines", PURCHASE_ENTRY, PURCHASE_LINE, "Supplier", "SupplierName",
                22, "P", (30, 31), ledger.PAYABLE, "PaymentConditionPurchase",
                msg.SUPPLIER_REQUIRED, msg.SUPPLIER_UNKNOWN, msg.SUPPLIER_NOT_SUPPLIER,
                "PurchaseEntries")


def _is_party(kind: Kind, account: Record) -> bool:
    if kind is SALES:
        return account.get("Status") == "C"
    return bool(account.get("IsSupplier"))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def check_line(ctx: Context, kind: Kind, values: dict[str, Any], problems: Problems) -> None:
    """Validate one line in place: G/L account, amount, VAT code; fills the derived fields."""
    gl = None
    if values.get("GLAccount") is None:
        problems.add(msg.GL_REQUIRED)
    else:
        gl = ctx.table("financial/GLAccounts").get(values["GLAccount"])
        if gl is None:
            problems.add(msg.GL_UNKNOWN)
        elif gl["Type"] in FORBIDDEN_LINE_GL_TYPES:
            problems.add(msg.GL_WRONG_TYPE)
        elif gl["IsBlocked"]:
            problems.add(msg.GL_BLOCKED.format(code=gl["Code"], description=gl["Description"]))
    if values.get("AmountFC") is None:
        problems.add(msg.AMOUNT_REQUIRED)
    vat_code = values.get("VATCode")
    if blank(vat_code) and gl is not None:
        vat_code = gl.get("VATCode")
    vat = None
    if not blank(vat_code):
        padded = str(vat_code).strip().ljust(3)
        found = ctx.table("vat/VATCodes").find(Code=padded)
        if not found:
            problems.add(msg.VAT_UNKNOWN)
        else:
            vat = found[0]
            if vat["VATTransactionType"] not in ("B", kind.vat_side) or vat["IsBlocked"]:
                problems.add(msg.VAT_NOT_ALLOWED)
        values["VATCode"] = padded
    if problems.messages or values.get("AmountFC") is None or gl is None:
        return
    amount = _money(values["AmountFC"])
    pct = vat["Percentage"] if vat else Decimal(0)
    vat_amount = values.get("VATAmountFC")
    vat_amount = _money(vat_amount) if vat_amount is not None else _money(amount * pct)
    values.update({
        "AmountFC": amount, "AmountDC": amount, "VATAmountFC": vat_amount,
        "VATAmountDC": vat_amount, "VATBaseAmountFC": amount, "VATBaseAmountDC": amount,
        "VATPercentage": pct, "VATCodeDescription": vat["Description"] if vat else None,
        "GLAccountCode": gl["Code"], "GLAccountDescription": gl["Description"],
        "Type": kind.types[0], "Division": ctx.division.number,
    })


def _lines_payload(raw: Any) -> list[Mapping[str, Any]] | None:
    if isinstance(raw, dict) and isinstance(raw.get("results"), list):
        raw = raw["results"]
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        return None
    return raw


class Entries(StoredSet):
    kind: Kind = SALES
    methods = frozenset({"GET", "POST", "PUT", "DELETE"})

    def create(self, ctx: Context, body: Mapping[str, Any]) -> Record:
        kind = self.kind
        values, nested = coerce(kind.etype, body, navs=(kind.lines_nav,))
        problems = Problems()
        account = self._check_header(ctx, values, problems)
        lines_raw = _lines_payload(nested.get(kind.lines_nav))
        lines: list[dict[str, Any]] = []
        if not lines_raw:
            problems.add(msg.LINES_REQUIRED)
        for raw in lines_raw or []:
            line, _ = coerce(kind.line_type, raw)
            check_line(ctx, kind, line, problems)
            lines.append(line)
        problems.raise_if_any()
        entry: Record = dict.fromkeys(kind.etype.fields)
        entry.update(values)
        entry.update({"EntryID": str(uuid.uuid4()), "Status": 20, "StatusDescription": "Open",
                      "Division": ctx.division.number, "Created": ctx.now, "Modified": ctx.now,
                      "Currency": values.get("Currency") or "EUR", "Rate": Decimal(1)})
        self._derive_header(ctx, entry, account)
        number = entry.get("EntryNumber") or entry.get("InvoiceNumber")
        if number is None:
            number = next_number_in(self.table(ctx), "Journal", entry["Journal"],
                                    entry["EntryDate"].year)
        elif number_in_use(self.table(ctx).find(Journal=entry["Journal"]), number):
            raise ValidationFailed([msg.ENTRY_NUMBER_IN_USE])
        entry["EntryNumber"] = entry["InvoiceNumber"] = number
        line_table = ctx.table(kind.lines_path)
        for index, line in enumerate(lines, start=1):
            row: Record = dict.fromkeys(kind.line_type.fields)
            row.update(line)
            row.update({"ID": str(uuid.uuid4()), "EntryID": entry["EntryID"], "LineNumber": index})
            line_table.insert(row)
        self._totals(ctx, entry)
        self.table(ctx).insert(entry)
        ledger.invoice_term(ctx.division, ctx.now, kind.ledger_kind, entry, account,
                            self._party_gl(ctx), self._condition(ctx, entry),
                            self._journal(ctx, entry["Journal"]))
        return entry

    # --- header rules -------------------------------------------------------------------
    def _check_header(self, ctx: Context, values: dict[str, Any],
                      problems: Problems) -> Record | None:
        kind = self.kind
        account = None
        if values.get(kind.party) is None:
            problems.add(kind.party_required)
        else:
            account = ctx.table("crm/Accounts").get(values[kind.party])
            if account is None:
                problems.add(kind.party_unknown)
            elif not _is_party(kind, account):
                problems.add(kind.party_wrong)
        if blank(values.get("Journal")):
            problems.add(msg.JOURNAL_REQUIRED)
        else:
            values["Journal"] = str(values["Journal"]).strip()
            journal = self._journal(ctx, values["Journal"])
            if journal is None:
                problems.add(msg.JOURNAL_UNKNOWN)
            elif journal["Type"] != kind.journal_type:
                problems.add(msg.JOURNAL_WRONG_TYPE)
        if not blank(values.get("Currency")) and values["Currency"].strip().upper() != "EUR":
            problems.add(msg.CURRENCY_UNKNOWN)
        code = values.get("PaymentCondition")
        if blank(code) and account is not None:
            code = account.get(kind.party_condition)
        if blank(code):
            code = DEFAULT_SALES_CONDITION
        values["PaymentCondition"] = str(code).strip()
        if not ctx.table("cashflow/PaymentConditions").find(Code=values["PaymentCondition"]):
            problems.add(msg.PAYMENT_CONDITION_UNKNOWN)
        return account

    def _derive_header(self, ctx: Context, entry: Record, account: Record | None) -> None:
        kind = self.kind
        if entry.get("EntryDate") is None:
            entry["EntryDate"] = ctx.state.clock.today()
        entry["EntryDate"] = entry["EntryDate"].replace(hour=0, minute=0, second=0,
                                                        microsecond=0)
        condition = self._condition(ctx, entry)
        if entry.get("DueDate") is None and condition is not None:
            entry["DueDate"] = entry["EntryDate"] + dt.timedelta(days=condition["PaymentDays"])
        entry["PaymentConditionDescription"] = condition["Description"] if condition else None
        if kind is PURCHASE:
            entry["PaymentConditionSupplier"] = entry["PaymentCondition"]
        entry["ReportingYear"] = entry.get("ReportingYear") or entry["EntryDate"].year
        entry["ReportingPeriod"] = entry.get("ReportingPeriod") or entry["EntryDate"].month
        journal = self._journal(ctx, entry["Journal"])
        entry["JournalDescription"] = journal["Description"] if journal else None
        entry[kind.party_name] = account["Name"] if account else None

    def _totals(self, ctx: Context, entry: Record) -> None:
        kind = self.kind
        lines = ctx.table(kind.lines_path).find(EntryID=entry["EntryID"])
        vat = sum((line["VATAmountFC"] for line in lines), Decimal(0))
        total = sum((line["AmountFC"] for line in lines), Decimal(0)) + vat
        entry.update({"AmountFC": total, "AmountDC": total, "VATAmountFC": vat,
                      "VATAmountDC": vat})
        entry["Type"] = kind.types[1] if total < 0 else kind.types[0]
        entry["TypeDescription"] = {20: "Verkoopfactuur", 21: "Verkoopcreditnota",
                                    30: "Inkoopfactuur", 31: "Inkoopcreditnota"}[entry["Type"]]
        if kind is SALES:
            entry["GAccountAmountFC"] = total

    def _journal(self, ctx: Context, code: str) -> Record | None:
        found = ctx.table("financial/Journals").find(Code=code)
        return found[0] if found else None

    def _condition(self, ctx: Context, entry: Record) -> Record | None:
        found = ctx.table("cashflow/PaymentConditions").find(Code=entry.get("PaymentCondition"))
        return found[0] if found else None

    def _party_gl(self, ctx: Context) -> Record | None:
        gl_type = 20 if self.kind is SALES else 22
        found = ctx.table("financial/GLAccounts").find(Type=gl_type)
        return found[0] if found else None

    def _open_entry(self, ctx: Context, key: Any) -> Record:
        entry = self.table(ctx).get(key)
        if entry is None:
            raise ApiError(404, f"Resource not found for the segment '{self.kind.segment}'.")
        if entry["Status"] != 20:
            raise ValidationFailed([msg.ALREADY_PROCESSED])
        return entry

    # --- PUT / DELETE -------------------------------------------------------------------
    def update(self, ctx: Context, key: Any, body: Mapping[str, Any]) -> None:
        entry = self._open_entry(ctx, key)
        values, _ = coerce(self.kind.etype, body, navs=(self.kind.lines_nav,))
        values.pop("Journal", None)
        problems = Problems()
        merged = {**entry, **values}
        if "PaymentCondition" not in values:
            merged["PaymentCondition"] = entry["PaymentCondition"]
        account = self._check_header(ctx, merged, problems)
        number = values.get("EntryNumber")
        if number is not None and number_in_use(self.table(ctx).find(Journal=entry["Journal"]),
                                                number, exclude=entry["EntryID"]):
            problems.add(msg.ENTRY_NUMBER_IN_USE)
        problems.raise_if_any()
        if "DueDate" not in values and ("EntryDate" in values or "PaymentCondition" in values):
            merged["DueDate"] = None
        if number is not None:
            merged["InvoiceNumber"] = number
        merged["Modified"] = ctx.now
        self._derive_header(ctx, merged, account)
        entry.update(merged)
        if number is not None:
            self.table(ctx).touch()  # the entry's number changed in place
        ledger.resync_invoice(ctx.division, ctx.now, entry)

    def delete(self, ctx: Context, key: Any) -> None:
        entry = self._open_entry(ctx, key)
        if not ledger.drop_entry_terms(ctx.division, entry["EntryID"]):
            raise ValidationFailed([msg.ENTRY_ALREADY_MATCHED])
        lines = ctx.table(self.kind.lines_path)
        for line in lines.find(EntryID=entry["EntryID"]):
            lines.delete(line["ID"])
        self.table(ctx).delete(entry["EntryID"])

    def recompute(self, ctx: Context, entry: Record) -> None:
        self._totals(ctx, entry)
        entry["Modified"] = ctx.now
        ledger.resync_invoice(ctx.division, ctx.now, entry)


class SalesEntries(Entries):
    path = SALES.path
    etype = SALES_ENTRY
    kind = SALES


class PurchaseEntries(Entries):
    path = PURCHASE.path
    etype = PURCHASE_ENTRY
    kind = PURCHASE
