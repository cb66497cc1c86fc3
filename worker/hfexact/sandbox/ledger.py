"""Open items (Exact's "payment terms"): receivables and payables, matching and unmatching.

A term is one outstanding item of a customer (kind R) or supplier (kind P). ``AmountFC`` is
signed from the relation's balance: an invoice is positive, a credit note or a payment negative.
Every sales/purchase entry creates one term (``LineType`` 20/22); every bank or general journal
line on an AR (type 20) or AP (type 22) G/L account with an ``Account`` creates a payment term.

Matching, as Exact's auto-matching does it: a payment line with ``OurRef`` = an invoice's entry
number, on the same relation, with the opposite sign, matches that invoice's open terms (oldest
first). A full amount closes the term (Status 50, IsFullyPaid, EndDate); a smaller amount splits
it: the paid part becomes a new, matched term (new ID and EntryID, as Exact's split receivables
get) and the remainder stays open. The payment term is matched for what it consumed; an excess
stays open as a payment on account. Every change bumps the term's ``Timestamp`` (rowversion).
Unmatching reopens every matched piece of the invoice and the payments that matched it.
A payment term carries no InvoiceNumber (it is the bank/journal line's own item); while it is
matched with one invoice its YourRef is that invoice's, as Exact's docs describe.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from hfexact.sandbox.store import Division, Record

RECEIVABLE, PAYABLE = "R", "P"
LINE_TYPE = {RECEIVABLE: 20, PAYABLE: 22}
ZERO = Decimal(0)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


def _touch(division: Division, term: Record, now: dt.datetime) -> None:
    term["Timestamp"] = division.next_timestamp()
    term["Modified"] = now


def _new_term(division: Division, now: dt.datetime, **fields: Any) -> Record:
    term: Record = {
        "ID": str(uuid.uuid4()), "EntryID": str(uuid.uuid4()), "Division": division.number,
        "HID": next(division.hid), "Status": 20, "IsFullyPaid": False, "Currency": "EUR",
        "RateFC": Decimal(1), "Source": 1, "Created": now, "EndDate": None, "EndYear": None,
        "EndPeriod": None, "LastPaymentDate": None, "TransactionIsReversal": False,
        "_match": [],
    }
    term.update(fields)
    term["AmountDC"] = term["AmountFC"]
    _touch(division, term, now)
    return division.ledger.insert(term)


def invoice_term(division: Division, now: dt.datetime, kind: str, entry: Record,
                 account: Record | None, gl: Record | None, condition: Record | None,
                 journal: Record | None) -> Record:
    """The open item of a sales (kind R) or purchase (kind P) entry."""
    amount = entry["AmountFC"]
    days = None
    if entry.get("DueDate") and entry.get("EntryDate"):
        days = (entry["DueDate"] - entry["EntryDate"]).days
    return _new_term(
        division, now, _kind=kind, _role="invoice", LineType=LINE_TYPE[kind],
        Account=entry.get("Customer") or entry.get("Supplier"), AmountFC=amount,
        TransactionAmountFC=amount, TransactionAmountDC=amount, Description=entry.get(
            "Description"), DueDate=entry.get("DueDate"), TransactionDueDate=entry.get("DueDate"),
        EntryDate=entry.get("EntryDate"), InvoiceDate=entry.get("EntryDate"),
        EntryNumber=entry.get("EntryNumber"), InvoiceNumber=entry.get("InvoiceNumber"),
        YourRef=entry.get("YourRef"), Journal=entry.get("Journal"),
        JournalDescription=journal.get("Description") if journal else None,
        PaymentCondition=entry.get("PaymentCondition"),
        PaymentConditionDescription=condition.get("Description") if condition else None,
        PaymentMethod=condition.get("PaymentMethod") if condition else "B", PaymentDays=days,
        PaymentReference=entry.get("PaymentReference"), TransactionEntryID=entry["EntryID"],
        TransactionID=None, TransactionStatus=entry.get("Status"),
        TransactionType=entry.get("Type"), TransactionReportingYear=entry.get("ReportingYear"),
        TransactionReportingPeriod=entry.get("ReportingPeriod"),
        GLAccount=gl.get("ID") if gl else None, GLAccountCode=gl.get("Code") if gl else None,
        GLAccountDescription=gl.get("Description") if gl else None,
        AccountCode=account.get("Code") if account else None,
        AccountName=account.get("Name") if account else None)


def resync_invoice(division: Division, now: dt.datetime, entry: Record) -> None:
    """Carry a changed open entry (header or lines) to its open item."""
    terms = [t for t in division.ledger.find(TransactionEntryID=entry["EntryID"])
             if t["_role"] == "invoice"]
    for term in terms:
        for src, dst in (("Description", "Description"), ("DueDate", "DueDate"),
                         ("DueDate", "TransactionDueDate"), ("EntryDate", "InvoiceDate"),
                         ("YourRef", "YourRef"), ("PaymentReference", "PaymentReference"),
                         ("PaymentCondition", "PaymentCondition"), ("Status", "TransactionStatus"),
                         ("Type", "TransactionType")):
            term[dst] = entry.get(src)
        term["Account"] = entry.get("Customer") or entry.get("Supplier")
        term["TransactionAmountFC"] = term["TransactionAmountDC"] = entry["AmountFC"]
        _touch(division, term, now)
    if len(terms) == 1 and terms[0]["Status"] == 20 and not terms[0]["_match"]:
        terms[0]["AmountFC"] = terms[0]["AmountDC"] = entry["AmountFC"]


def payment_line(division: Division, now: dt.datetime, kind: str, *, delta: Decimal,
                 line: Record, entry: Record, source_type: int, account: Record | None,
                 gl: Record, journal: Record | None) -> Record:
    """Book a bank/journal line on a relation's AR/AP account; match it where Exact would."""
    date = line.get("Date") or now
    our_ref = line.get("OurRef")
    match_id = str(uuid.uuid4())
    remaining = delta
    matched_refs: list[str | None] = []
    if our_ref is not None and delta != ZERO:
        candidates = sorted(
            (t for t in division.ledger.find(Account=line.get("Account"), _kind=kind,
                                              InvoiceNumber=our_ref, _role="invoice", Status=20)
             if _sign(t["AmountFC"]) == -_sign(delta)), key=lambda t: t["HID"])
        for term in candidates:
            if remaining == ZERO:
                break
            take = min(abs(remaining), abs(term["AmountFC"]))
            _settle(division, now, term, take, date, match_id)
            remaining += take * _sign(term["AmountFC"])
            matched_refs.append(term.get("YourRef"))
    consumed = delta - remaining
    base = {
        "_kind": kind, "_role": "payment", "LineType": LINE_TYPE[kind],
        "Account": line.get("Account"), "AccountCode": account.get("Code") if account else None,
        "AccountName": account.get("Name") if account else None, "TransactionAmountFC": delta,
        "TransactionAmountDC": delta, "Description": line.get("Description"),
        "EntryDate": date, "InvoiceDate": date, "DueDate": date, "TransactionDueDate": date,
        "EntryNumber": entry.get("EntryNumber"), "InvoiceNumber": None,
        "YourRef": matched_refs[0] if len(set(matched_refs)) == 1 else None,
        "Journal": entry.get("JournalCode"),
        "JournalDescription": journal.get("Description") if journal else None,
        "PaymentMethod": "B", "TransactionEntryID": entry["EntryID"],
        "TransactionID": line["ID"], "TransactionStatus": entry.get("Status"),
        "TransactionType": source_type, "GLAccount": gl["ID"], "GLAccountCode": gl["Code"],
        "GLAccountDescription": gl["Description"],
        "TransactionReportingYear": entry.get("FinancialYear"),
        "TransactionReportingPeriod": entry.get("FinancialPeriod"),
    }
    if consumed != ZERO:
        _new_term(division, now, **base, AmountFC=consumed, Status=50, IsFullyPaid=True,
                  EndDate=date, EndYear=date.year, EndPeriod=date.month, LastPaymentDate=date,
                  _match=[match_id])
    if remaining != ZERO or consumed == ZERO:
        _new_term(division, now, **base, AmountFC=remaining)
    return line


def _settle(division: Division, now: dt.datetime, term: Record, take: Decimal,
            date: dt.datetime, match_id: str) -> None:
    closed = {"Status": 50, "IsFullyPaid": True, "EndDate": date, "EndYear": date.year,
              "EndPeriod": date.month, "LastPaymentDate": date}
    if take == abs(term["AmountFC"]):
        term.update(closed)
        term["_match"] = [*term["_match"], match_id]
        _touch(division, term, now)
        return
    paid = take * _sign(term["AmountFC"])
    piece = {k: v for k, v in term.items() if k not in ("ID", "EntryID", "HID", "Timestamp")}
    piece.update(closed)
    piece["AmountFC"] = paid
    piece["_match"] = [match_id]
    _new_term(division, now, **piece)
    term["AmountFC"] = term["AmountDC"] = term["AmountFC"] - paid
    term["LastPaymentDate"] = date
    _touch(division, term, now)


def unmatch_invoice(division: Division, now: dt.datetime, kind: str, invoice_number: int) -> int:
    """Reopen every matched piece of an invoice and the payments matched with it."""
    pieces = [t for t in division.ledger.find(_kind=kind, InvoiceNumber=invoice_number,
                                              _role="invoice") if t["Status"] == 50]
    match_ids = {m for t in pieces for m in t["_match"]}
    payments = [t for t in division.ledger.find(_kind=kind, _role="payment")
                if t["Status"] == 50 and set(t["_match"]) & match_ids]
    for term in payments:
        term["YourRef"] = None
    for term in pieces + payments:
        term.update({"Status": 20, "IsFullyPaid": False, "EndDate": None, "EndYear": None,
                     "EndPeriod": None, "_match": []})
        _touch(division, term, now)
    return len(pieces)


def terms_of_entry(division: Division, entry_id: str) -> list[Record]:
    return division.ledger.find(TransactionEntryID=entry_id)


def drop_entry_terms(division: Division, entry_id: str) -> bool:
    """Remove an entry's open items; False (nothing removed) when any of them is matched."""
    terms = terms_of_entry(division, entry_id)
    if any(t["Status"] == 50 for t in terms):
        return False
    for term in terms:
        division.ledger.delete(term["ID"])
    return True


def mark_processed(division: Division, now: dt.datetime, entry_id: str) -> None:
    for term in terms_of_entry(division, entry_id):
        term["TransactionStatus"] = 50
        _touch(division, term, now)
