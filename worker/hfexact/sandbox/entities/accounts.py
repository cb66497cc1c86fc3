"""``crm/Accounts`` (and the ``crm/BankAccounts`` its navigation property points at).

Rules: Code is 18 characters, right-aligned with leading spaces; an omitted Code gets the
highest numeric code + 1; a duplicate is refused; Status is one of A (none), S (suspect),
P (prospect), C (customer); IsSales is GET-only and follows Status C; Country comes back padded
to three characters; GET without ``$filter`` is refused (mandatory filtering, since 2022).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from hfexact.sandbox import messages as msg
from hfexact.sandbox.entities.base import (
    Context,
    Problems,
    StoredSet,
    blank,
    coerce,
)
from hfexact.sandbox.failures import ApiError, ValidationFailed
from hfexact.sandbox.schema import ACCOUNT, BANK_ACCOUNT
from hfexact.sandbox.store import Record

CODE_WIDTH = 18
_FILTER_FIELDS = (
    "Accountant,AccountManager,AddressLine1,AddressLine2,AddressLine3,Blocked,BRIN,BSN,"
    "ChamberOfCommerce,City,Classification1,Classification2,Classification3,Classification4,"
    "Classification5,Classification6,Classification7,Classification8,Classification,Code,"
    "CodeAtSupplier,Country,Created,Email,EndDate,Fax,ID,InvoiceAccount,IsAccountant,"
    "IsReseller,IsSales,IsSupplier,MainContact,Modified,Name,Parent,Phone,Postcode,PriceList,"
    "Reseller,RSIN,SearchCode,StartDate,Status,Type,VATNumber"
)
MANDATORY_FILTER_FIELDS = frozenset(_FILTER_FIELDS.split(","))
MANDATORY_FILTER_MESSAGE = (
    "This endpoint has mandatory filtering applied. A GET request for this endpoint must have "
    "a $filter parameter with one of the following fields in the url:" + _FILTER_FIELDS + ".")
STATUSES = {"A", "S", "P", "C"}
GL_REFS = ("GLAccountSales", "GLAccountPurchase", "GLAR", "GLAP")


def pad_code(code: str) -> str:
    return code.strip().rjust(CODE_WIDTH)


class Accounts(StoredSet):
    path = "crm/Accounts"
    etype = ACCOUNT
    methods = frozenset({"GET", "POST", "PUT", "DELETE"})
    mandatory_filter = MANDATORY_FILTER_FIELDS

    def create(self, ctx: Context, body: Mapping[str, Any]) -> Record:
        values, _ = coerce(self.etype, body)
        record: Record = dict.fromkeys(self.etype.fields)
        record.update({"ID": str(uuid.uuid4()), "Type": "A", "Division": ctx.division.number,
                       "Created": ctx.now, "Blocked": False, "IsSupplier": False,
                       "IsReseller": False, "IsAccountant": 0})
        if blank(values.get("Code")):
            values["Code"] = self._next_code(ctx)
        self._apply(ctx, record, values, creating=True)
        return self.table(ctx).insert(record)

    def update(self, ctx: Context, key: Any, body: Mapping[str, Any]) -> None:
        record = self.table(ctx).get(key)
        if record is None:
            raise ApiError(404, "Resource not found for the segment 'Accounts'.")
        values, _ = coerce(self.etype, body)
        candidate = dict(record)
        self._apply(ctx, candidate, values, creating=False)
        record.update(candidate)

    def delete(self, ctx: Context, key: Any) -> None:
        if self.table(ctx).get(key) is None:
            raise ApiError(404, "Resource not found for the segment 'Accounts'.")
        for path, prop in (("salesentry/SalesEntries", "Customer"),
                           ("purchaseentry/PurchaseEntries", "Supplier")):
            if ctx.table(path).find(**{prop: key}):
                raise ValidationFailed([msg.RELATION_IN_USE])
        if ctx.division.ledger.find(Account=key):
            raise ValidationFailed([msg.RELATION_IN_USE])
        self.table(ctx).delete(key)

    def _next_code(self, ctx: Context) -> str:
        numbers = [int(r["Code"]) for r in self.table(ctx).all()
                   if r.get("Code") and str(r["Code"]).strip().isdigit()]
        return str(max(numbers, default=0) + 1)

    def _apply(self, ctx: Context, record: Record, values: dict[str, Any], *,
               creating: bool) -> None:
        problems = Problems()
        merged = {**record, **values}
        if blank(merged.get("Name")):
            problems.add(msg.NAME_REQUIRED)
        if "Code" in values:
            code = str(values["Code"] or "").strip()
            if len(code) > CODE_WIDTH:
                problems.add(msg.CODE_TOO_LONG)
            values["Code"] = pad_code(code)
            clash = [r for r in self.table(ctx).find(Code=values["Code"])
                     if r["ID"] != record["ID"]]
            if clash:
                problems.add(msg.CODE_EXISTS)
        if "Status" in values:
            status = (values["Status"] or "").strip().upper()
            if status and status not in STATUSES:
                problems.add(msg.STATUS_INVALID)
            values["Status"] = status or None
        if not blank(values.get("Country")):
            country = str(values["Country"]).strip().upper()
            if len(country) != 2 or not country.isalpha():
                problems.add(msg.COUNTRY_UNKNOWN)
            values["Country"] = country.ljust(3)
        conditions = ctx.table("cashflow/PaymentConditions")
        for prop in ("PaymentConditionSales", "PaymentConditionPurchase"):
            if not blank(values.get(prop)):
                code = str(values[prop]).strip()
                if not conditions.find(Code=code):
                    problems.add(msg.PAYMENT_CONDITION_UNKNOWN)
                values[prop] = code
        vat = ctx.table("vat/VATCodes")
        for prop in ("SalesVATCode", "PurchaseVATCode"):
            if not blank(values.get(prop)):
                code = str(values[prop]).strip().ljust(3)
                if not vat.find(Code=code):
                    problems.add(msg.VAT_UNKNOWN)
                values[prop] = code
        gl = ctx.table("financial/GLAccounts")
        for prop in GL_REFS:
            if values.get(prop) is not None and gl.get(values[prop]) is None:
                problems.add(msg.GL_UNKNOWN)
        problems.raise_if_any()
        record.update(values)
        record["IsSales"] = record.get("Status") == "C"
        record["IsPurchase"] = bool(record.get("IsSupplier"))
        record["Modified"] = ctx.now
        if creating:
            record["Created"] = ctx.now


class BankAccounts(StoredSet):
    path = "crm/BankAccounts"
    etype = BANK_ACCOUNT
    methods = frozenset({"GET", "POST"})

    def create(self, ctx: Context, body: Mapping[str, Any]) -> Record:
        values, _ = coerce(self.etype, body)
        problems = Problems()
        if values.get("Account") is None:
            problems.add(msg.RELATION_REQUIRED)
        elif ctx.table("crm/Accounts").get(values["Account"]) is None:
            problems.add(msg.RELATION_UNKNOWN)
        problems.raise_if_any()
        record: Record = dict.fromkeys(self.etype.fields)
        record.update(values)
        record.update({"ID": str(uuid.uuid4()), "Division": ctx.division.number,
                       "Created": ctx.now, "Modified": ctx.now})
        return self.table(ctx).insert(record)
