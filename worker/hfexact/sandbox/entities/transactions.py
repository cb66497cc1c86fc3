"""``generaljournalentry/GeneralJournalEntries`` and ``financialtransaction/BankEntries``.

Both get type 90/40 entries in status 20; lines need a G/L account (and an ``Account`` on AR/AP
accounts). A general journal entry must balance (sum of ``AmountFC`` = 0, debit positive); a
bank entry's ``OpeningBalanceFC`` plus its lines must equal ``ClosingBalanceFC`` (a line's
positive amount is money received). Lines on a relation's AR/AP account become open items and
match invoices by ``OurRef`` (see ``ledger``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hfexact.sandbox import ledger
from hfexact.sandbox import messages as msg
from hfexact.sandbox.entities.base import Context, Problems, StoredSet, blank, coerce
from hfexact.sandbox.entities.numbering import next_entry_number, number_in_use
from hfexact.sandbox.failures import ApiError, ValidationFailed
from hfexact.sandbox.schema import (
    BANK_ENTRY,
    BANK_LINE,
    GENERAL_JOURNAL_ENTRY,
    GENERAL_JOURNAL_LINE,
    EntityType,
)
from hfexact.sandbox.store import Record

BLOCKED_LINE_TYPES_BANK = {12}


class Transactions(StoredSet):
    lines_path = ""
    lines_nav = ""
    line_type: EntityType = GENERAL_JOURNAL_LINE
    journal_type = 90
    source_type = 90
    methods = frozenset({"GET", "POST", "DELETE"})
    segment = ""

    def create(self, ctx: Context, body: Mapping[str, Any]) -> Record:
        values, nested = coerce(self.etype, body, navs=(self.lines_nav,))
        problems = Problems()
        journal = self._check_journal(ctx, values, problems)
        raw_lines = nested.get(self.lines_nav)
        if isinstance(raw_lines, dict):
            raw_lines = raw_lines.get("results")
        if not isinstance(raw_lines, list) or not raw_lines:
            problems.add(msg.LINES_REQUIRED)
            raw_lines = []
        lines = []
        for raw in raw_lines:
            if not isinstance(raw, dict):
                raise ApiError(400, "Error processing request stream. The request should be "
                                    "a valid top-level resource object.")
            line, _ = coerce(self.line_type, raw)
            self._check_line(ctx, line, problems)
            lines.append(line)
        problems.raise_if_any()
        entry: Record = dict.fromkeys(self.etype.fields)
        entry.update(values)
        first_date = next((ln["Date"] for ln in lines if ln.get("Date")), None)
        date = first_date or ctx.state.clock.today()
        entry.update({
            "EntryID": str(uuid.uuid4()), "Status": 20, "StatusDescription": "Open",
            "Division": ctx.division.number, "Created": ctx.now, "Modified": ctx.now,
            "Currency": values.get("Currency") or "EUR",
            "FinancialYear": values.get("FinancialYear") or date.year,
            "FinancialPeriod": values.get("FinancialPeriod") or date.month,
            "JournalDescription": journal["Description"] if journal else None})
        self._check_amounts(ctx, entry, lines)
        existing = self.table(ctx).find(JournalCode=entry["JournalCode"])
        if entry.get("EntryNumber") is None:
            entry["EntryNumber"] = next_entry_number(existing, entry["JournalCode"],
                                                     entry["FinancialYear"])
        elif number_in_use(existing, entry["EntryNumber"]):
            raise ValidationFailed([msg.ENTRY_NUMBER_IN_USE])
        self.table(ctx).insert(entry)
        for index, line in enumerate(lines, start=1):
            self._store_line(ctx, entry, line, index, journal)
        return entry

    def _check_journal(self, ctx: Context, values: dict[str, Any],
                       problems: Problems) -> Record | None:
        if blank(values.get("JournalCode")):
            problems.add(msg.JOURNAL_REQUIRED)
            return None
        values["JournalCode"] = str(values["JournalCode"]).strip()
        found = ctx.table("financial/Journals").find(Code=values["JournalCode"])
        if not found:
            problems.add(msg.JOURNAL_UNKNOWN)
            return None
        if found[0]["Type"] != self.journal_type:
            problems.add(msg.JOURNAL_WRONG_TYPE)
        return found[0]

    def _check_line(self, ctx: Context, line: dict[str, Any], problems: Problems) -> None:
        gl = None
        if line.get("GLAccount") is None:
            problems.add(msg.GL_REQUIRED)
        else:
            gl = ctx.table("financial/GLAccounts").get(line["GLAccount"])
            if gl is None:
                problems.add(msg.GL_UNKNOWN)
            elif gl["IsBlocked"]:
                problems.add(msg.GL_BLOCKED.format(code=gl["Code"],
                                                   description=gl["Description"]))
            elif self.journal_type == 12 and gl["Type"] in BLOCKED_LINE_TYPES_BANK:
                problems.add(msg.GL_WRONG_TYPE)
        if line.get("AmountFC") is None:
            problems.add(msg.AMOUNT_REQUIRED)
        if line.get("Account") is not None:
            if ctx.table("crm/Accounts").get(line["Account"]) is None:
                problems.add(msg.RELATION_UNKNOWN)
        elif gl is not None and gl["Type"] in (20, 22):
            problems.add(msg.RELATION_REQUIRED)
        if not blank(line.get("VATCode")):
            line["VATCode"] = str(line["VATCode"]).strip().ljust(3)
            if not ctx.table("vat/VATCodes").find(Code=line["VATCode"]):
                problems.add(msg.VAT_UNKNOWN)

    def _check_amounts(self, ctx: Context, entry: Record, lines: list[dict[str, Any]]) -> None:
        total = sum((ln["AmountFC"] for ln in lines), Decimal(0))
        if total != 0:
            raise ValidationFailed([msg.NOT_BALANCED])

    def _store_line(self, ctx: Context, entry: Record, line: dict[str, Any], index: int,
                    journal: Record | None) -> Record:
        row: Record = dict.fromkeys(self.line_type.fields)
        row.update(line)
        gl = ctx.table("financial/GLAccounts").get(line["GLAccount"])
        assert gl is not None
        account = ctx.table("crm/Accounts").get(line["Account"]) if line.get("Account") else None
        row.update({
            "ID": str(uuid.uuid4()), "EntryID": entry["EntryID"], "LineNumber": index,
            "AmountDC": line["AmountFC"], "GLAccountCode": gl["Code"],
            "GLAccountDescription": gl["Description"], "Division": ctx.division.number,
            "Date": line.get("Date") or ctx.state.clock.today()})
        if "AccountCode" in self.line_type.fields:
            row["AccountCode"] = account["Code"] if account else None
            row["AccountName"] = account["Name"] if account else None
        ctx.table(self.lines_path).insert(row)
        if account is not None and gl["Type"] in (20, 22):
            kind = ledger.RECEIVABLE if gl["Type"] == 20 else ledger.PAYABLE
            delta = self.ledger_delta(kind, line["AmountFC"])
            ledger.payment_line(ctx.division, ctx.now, kind, delta=delta, line=row, entry=entry,
                                source_type=self.source_type, account=account, gl=gl,
                                journal=journal)
        return row

    @staticmethod
    def ledger_delta(kind: str, amount: Decimal) -> Decimal:
        """Change of the relation's open balance for a journal line (debit positive)."""
        return amount if kind == ledger.RECEIVABLE else -amount

    def delete(self, ctx: Context, key: Any) -> None:
        entry = self.table(ctx).get(key)
        if entry is None:
            raise ApiError(404, f"Resource not found for the segment '{self.segment}'.")
        if entry["Status"] != 20:
            raise ValidationFailed([msg.ALREADY_PROCESSED])
        if not ledger.drop_entry_terms(ctx.division, entry["EntryID"]):
            raise ValidationFailed([msg.ENTRY_ALREADY_MATCHED])
        lines = ctx.table(self.lines_path)
        for line in lines.find(EntryID=entry["EntryID"]):
            lines.delete(line["ID"])
        self.table(ctx).delete(key)


class GeneralJournalEntries(Transactions):
    path = "generaljournalentry/GeneralJournalEntries"
    etype = GENERAL_JOURNAL_ENTRY
    lines_path = "generaljournalentry/GeneralJournalEntryLines"
    lines_nav = "GeneralJournalEntryLines"
    line_type = GENERAL_JOURNAL_LINE
    journal_type = 90
    source_type = 90
    segment = "GeneralJournalEntries"

    def create(self, ctx: Context, body: Mapping[str, Any]) -> Record:
        entry = super().create(ctx, body)
        entry["Type"], entry["TypeDescription"] = 90, "Overige"
        return entry


class BankEntries(Transactions):
    path = "financialtransaction/BankEntries"
    etype = BANK_ENTRY
    lines_path = "financialtransaction/BankEntryLines"
    lines_nav = "BankEntryLines"
    line_type = BANK_LINE
    journal_type = 12
    source_type = 40
    segment = "BankEntries"

    def _check_amounts(self, ctx: Context, entry: Record, lines: list[dict[str, Any]]) -> None:
        total = sum((ln["AmountFC"] for ln in lines), Decimal(0))
        previous = [e for e in self.table(ctx).find(JournalCode=entry["JournalCode"])
                    if e.get("ClosingBalanceFC") is not None]
        if entry.get("OpeningBalanceFC") is None:
            entry["OpeningBalanceFC"] = previous[-1]["ClosingBalanceFC"] if previous else (
                Decimal(0))
        if entry.get("ClosingBalanceFC") is None:
            entry["ClosingBalanceFC"] = entry["OpeningBalanceFC"] + total
        elif entry["OpeningBalanceFC"] + total != entry["ClosingBalanceFC"]:
            raise ValidationFailed([msg.BANK_BALANCE])

    @staticmethod
    def ledger_delta(kind: str, amount: Decimal) -> Decimal:
        """A bank line's positive amount is money in: it credits AR and debits AP."""
        return -amount if kind == ledger.RECEIVABLE else amount


class TransactionLines(StoredSet):
    methods = frozenset({"GET"})


class GeneralJournalEntryLines(TransactionLines):
    path = "generaljournalentry/GeneralJournalEntryLines"
    etype = GENERAL_JOURNAL_LINE


class BankEntryLines(TransactionLines):
    path = "financialtransaction/BankEntryLines"
    etype = BANK_LINE
