"""Exact's payment terms for one invoice, as the poller has seen them (pure, no I/O).

Exact keeps an invoice's outstanding item as *payment terms* (``sync/Cashflow/PaymentTerms``,
``cashflow/Receivables``): one row when the entry is booked; a partial payment splits it into
a matched piece (Status 50, a new ``EntryID``) and the open rest; every row keeps the entry's
``TransactionEntryID`` and ``TransactionAmountDC`` (the invoice total). Payment and journal
lines that refer to the invoice (``OurRef``) appear as rows of their own transaction with
``InvoiceNumber`` = the invoice's entry number.

``InvoiceTerms`` is the poller's copy of those rows for one exported invoice: ``own`` pieces
(rows of the invoice's own entry) and ``refs`` (rows of other transactions that name its
number). A row is applied only when it is not older than what is held (``Timestamp``
rowversion), so reading a page twice changes nothing. ``position()`` turns the copy into
amounts, and says whether the evidence is complete: the own pieces must add up to the invoice
total, else a piece has not been seen and nothing may be concluded from the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from hfexact.exact.odata import parse_day

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MATCHED = 50
#: Exact ``TransactionType`` of credit notes (sales 21, purchase 31)
CREDIT_NOTE_TYPES = frozenset({21, 31})
#: ``LineType``: 20 receivable (sales), 22 payable (purchase)
RECEIVABLE, PAYABLE = 20, 22


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return cents(Decimal(str(value)))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def _day(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_day(str(value))


@dataclass(frozen=True)
class TermRow:
    """One row of ``sync/Cashflow/PaymentTerms`` or ``cashflow/Receivables``."""

    id: str
    timestamp: int  # rowversion; 0 for rows read from cashflow/Receivables
    line_type: int
    status: int
    amount: Decimal  # AmountDC: what this piece is (open or matched), signed as Exact gives it
    transaction_amount: Decimal | None  # TransactionAmountDC: the whole linked entry
    transaction_entry_id: str | None
    invoice_number: int | None
    transaction_type: int | None
    paid_on: dt.date | None  # LastPaymentDate, else EndDate

    @classmethod
    def from_exact(cls, row: Mapping[str, Any], *, line_type: int | None = None) -> TermRow:
        """Parse Exact's JSON row (``/Date(ms)/`` dates, numbers as JSON numbers)."""
        amount = _decimal(row.get("AmountDC"))
        if amount is None:
            amount = _decimal(row.get("AmountFC"))
        entry = row.get("TransactionEntryID")
        return cls(
            id=str(row["ID"]).lower(),
            timestamp=_int(row.get("Timestamp")) or 0,
            line_type=_int(row.get("LineType")) or line_type or RECEIVABLE,
            status=_int(row.get("Status")) or 20,
            amount=amount if amount is not None else ZERO,
            transaction_amount=_decimal(row.get("TransactionAmountDC")),
            transaction_entry_id=None if entry is None else str(entry).lower(),
            invoice_number=_int(row.get("InvoiceNumber")),
            transaction_type=_int(row.get("TransactionType")),
            paid_on=_day(row.get("LastPaymentDate")) or _day(row.get("EndDate")),
        )


@dataclass(frozen=True)
class Piece:
    """What is kept of one row."""

    status: int
    amount: Decimal
    timestamp: int
    paid_on: dt.date | None
    transaction_type: int | None

    @property
    def matched(self) -> bool:
        return self.status == MATCHED

    def as_json(self) -> list[Any]:
        return [self.status, str(self.amount), self.timestamp,
                None if self.paid_on is None else self.paid_on.isoformat(),
                self.transaction_type]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Piece:
        status, amount, timestamp, paid_on, ttype = raw
        return cls(int(status), Decimal(amount), int(timestamp),
                   None if paid_on is None else dt.date.fromisoformat(paid_on),
                   None if ttype is None else int(ttype))

    @classmethod
    def of(cls, row: TermRow) -> Piece:
        return cls(row.status, row.amount, row.timestamp, row.paid_on, row.transaction_type)


@dataclass(frozen=True)
class Position:
    """Where an invoice stands in Exact, in the invoice's own sign (an invoice is positive)."""

    complete: bool  # every own piece seen: they add up to the invoice total
    total: Decimal
    open: Decimal  # own open pieces plus claims raised again (a reversed direct debit)
    reraised: Decimal  # of ``open``: open debits of other transactions naming the invoice
    paid_on: dt.date | None  # the latest payment date of the own pieces
    credit_note: bool  # the entry itself is a credit note

    @property
    def paid(self) -> Decimal:
        return min(max(self.total - self.open, ZERO), self.total)

    @property
    def settled(self) -> bool:
        """Positive evidence of a full match: complete, and no piece or claim left open."""
        return self.complete and self.total > ZERO and self.open <= ZERO


@dataclass(frozen=True)
class InvoiceTerms:
    """The rows seen for one exported invoice, keyed by payment-term ID."""

    own: Mapping[str, Piece] = field(default_factory=dict)
    refs: Mapping[str, Piece] = field(default_factory=dict)
    transaction_amount: Decimal | None = None

    def apply(self, row: TermRow, *, own: bool, force: bool = False) -> InvoiceTerms:
        """This copy with ``row`` applied; an older row (lower Timestamp) is ignored.

        ``force`` applies a row without a Timestamp (read from cashflow/Receivables, which is
        the present state) over what is held.
        """
        pieces = self.own if own else self.refs
        held = pieces.get(row.id)
        if held is not None and row.timestamp < held.timestamp and not force:
            return self
        piece = Piece.of(row)
        if held is not None and force:
            piece = replace(piece, timestamp=max(held.timestamp, row.timestamp))
        updated = {**pieces, row.id: piece}
        if own:
            total = row.transaction_amount if row.transaction_amount is not None else (
                self.transaction_amount)
            return replace(self, own=updated, transaction_amount=total)
        return replace(self, refs=updated)

    @property
    def seen(self) -> bool:
        return bool(self.own)

    def position(self) -> Position:
        own_sum = sum((p.amount for p in self.own.values()), ZERO)
        whole = self.transaction_amount if self.transaction_amount is not None else own_sum
        sign = Decimal(-1) if whole < 0 else Decimal(1)
        total = cents(abs(whole))
        complete = bool(self.own) and cents(own_sum * sign) == total
        own_open = sum((p.amount * sign for p in self.own.values() if not p.matched), ZERO)
        reraised = sum((p.amount * sign for p in self.refs.values()
                        if not p.matched and p.amount * sign > 0
                        and p.transaction_type not in CREDIT_NOTE_TYPES), ZERO)
        dates = [p.paid_on for p in self.own.values() if p.paid_on is not None]
        credit_types = {p.transaction_type for p in self.own.values()} & CREDIT_NOTE_TYPES
        return Position(
            complete=complete, total=total, open=cents(max(own_open, ZERO) + reraised),
            reraised=cents(reraised), paid_on=max(dates) if dates else None,
            credit_note=bool(credit_types),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "own": {k: v.as_json() for k, v in sorted(self.own.items())},
            "refs": {k: v.as_json() for k, v in sorted(self.refs.items())},
            "total": None if self.transaction_amount is None else str(self.transaction_amount),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> InvoiceTerms:
        total = raw.get("total")
        return cls(
            own={k: Piece.from_json(v) for k, v in (raw.get("own") or {}).items()},
            refs={k: Piece.from_json(v) for k, v in (raw.get("refs") or {}).items()},
            transaction_amount=None if total is None else Decimal(total),
        )
