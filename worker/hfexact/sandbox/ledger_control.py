"""Control-API actions on open items: a bank receipt, unmatching, the accountant processing.

``bank-payment`` books a real bank entry (journal of type 12, first such journal) with one line
on the relation's AR (or AP) account, ``OurRef`` = the invoice number: the same code path as
``POST financialtransaction/BankEntries``, so it matches exactly as an API-posted line would.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from hfexact.sandbox import ledger
from hfexact.sandbox.entities.base import Context
from hfexact.sandbox.failures import ControlError, ValidationFailed
from hfexact.sandbox.store import Division, Record

if TYPE_CHECKING:
    from hfexact.sandbox.app import Sandbox


def _division(sandbox: Sandbox, body: dict[str, Any]) -> Division:
    number = body.get("division")
    if number is None and len(sandbox.state.divisions) == 1:
        number = next(iter(sandbox.state.divisions))
    division = sandbox.state.divisions.get(int(str(number))) if str(number).isdigit() else None
    if division is None:
        raise ControlError(f"unknown division {number!r}", 404)
    return division


def _invoice_terms(division: Division, body: dict[str, Any]) -> tuple[str, int, list[Record]]:
    number = body.get("invoice_number")
    if number is None and body.get("your_ref") is not None:
        found = division.ledger.find(_role="invoice", YourRef=str(body["your_ref"]))
        if not found:
            raise ControlError(f"no invoice with YourRef {body['your_ref']!r}", 404)
        number = found[0]["InvoiceNumber"]
    if not isinstance(number, int) or isinstance(number, bool):
        raise ControlError("give 'invoice_number' (a number) or 'your_ref'")
    for kind in (ledger.RECEIVABLE, ledger.PAYABLE):
        terms = division.ledger.find(_kind=kind, _role="invoice", InvoiceNumber=number)
        if terms:
            return kind, number, terms
    raise ControlError(f"no invoice {number} in division {division.number}", 404)


def _summary(division: Division, kind: str, number: int) -> dict[str, Any]:
    terms = division.ledger.find(_kind=kind, _role="invoice", InvoiceNumber=number)
    open_amount = sum((t["AmountFC"] for t in terms if t["Status"] == 20), Decimal(0))
    return {"invoice_number": number, "open_amount": str(open_amount),
            "fully_paid": bool(terms) and all(t["Status"] == 50 for t in terms),
            "terms": [{"ID": t["ID"], "Status": t["Status"], "AmountFC": str(t["AmountFC"]),
                       "Timestamp": t["Timestamp"]} for t in terms]}


def bank_payment(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    division = _division(sandbox, body)
    kind, number, terms = _invoice_terms(division, body)
    try:
        amount = Decimal(str(body.get("amount")))
    except InvalidOperation:
        raise ControlError("'amount' must be a decimal string such as \"121.00\"") from None
    try:
        date = (dt.datetime.fromisoformat(str(body["date"])) if body.get("date")
                else sandbox.state.clock.today())
    except ValueError:
        raise ControlError("'date' must be YYYY-MM-DD") from None
    journals = [j for j in division.table("financial/Journals").all() if j["Type"] == 12]
    gl_type = 20 if kind == ledger.RECEIVABLE else 22
    gl = next(g for g in division.table("financial/GLAccounts").all() if g["Type"] == gl_type)
    if not journals:
        raise ControlError("the division has no bank journal", 409)
    line_amount = amount if kind == ledger.RECEIVABLE else -amount
    account = terms[0]["Account"]
    body_entry = {"JournalCode": journals[0]["Code"], "BankEntryLines": [{
        "GLAccount": gl["ID"], "Account": account, "AmountFC": str(line_amount),
        "OurRef": number, "Date": date.isoformat(),
        "Description": body.get("description") or f"Betaling factuur {number}"}]}
    ctx = Context(sandbox.state, division, sandbox.state.clock.utcnow(), "")
    try:
        entry = sandbox.sets["financialtransaction/bankentries"].create(ctx, body_entry)
    except ValidationFailed as exc:
        raise ControlError("; ".join(exc.messages), 422) from None
    return {"bank_entry": entry["EntryID"], "entry_number": entry["EntryNumber"],
            **_summary(division, kind, number)}


def unmatch(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    division = _division(sandbox, body)
    kind, number, _ = _invoice_terms(division, body)
    reopened = ledger.unmatch_invoice(division, sandbox.state.clock.utcnow(), kind, number)
    return {"reopened": reopened, **_summary(division, kind, number)}


def process(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    division = _division(sandbox, body)
    wanted = body.get("entry_ids")
    if wanted is not None and not isinstance(wanted, list):
        raise ControlError("'entry_ids' must be a list of EntryID GUIDs")
    now = sandbox.state.clock.utcnow()
    processed = []
    for path in ("salesentry/SalesEntries", "purchaseentry/PurchaseEntries",
                 "generaljournalentry/GeneralJournalEntries",
                 "financialtransaction/BankEntries"):
        for entry in division.table(path).all():
            if entry["Status"] != 20 or (wanted is not None and entry["EntryID"] not in wanted):
                continue
            entry.update({"Status": 50, "StatusDescription": "Verwerkt", "Modified": now})
            ledger.mark_processed(division, now, entry["EntryID"])
            processed.append(entry["EntryID"])
    return {"processed": processed}
