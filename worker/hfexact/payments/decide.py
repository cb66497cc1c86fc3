"""The decision core: from what HostFact was told and where Exact stands, what to tell it now.

Pure: no I/O, no clock (``today`` is passed in). Inputs per exported invoice:

* ``Subject``: what the store knows (HostFact id and code, Exact entry, whether it is a credit
  note, settled by a credit note, or collected in a direct-debit batch and on which date);
* ``Position`` (``terms.InvoiceTerms.position()``): Exact's evidence;
* ``Reported``: what was published for this invoice before (paid so far, a generation that
  counts reopenings, a payment planned for a batch date).

Rules (HostFact's own payment retrieval, reference hostfact.md §3.4, made incremental):

1. Positive evidence only. Nothing is concluded unless every own piece of the entry has been
   seen (they add up to the invoice total); an invoice missing from some list is never paid.
2. Credit notes are not payments: a credit invoice gets no payment results, and an invoice
   that a credit note settled (HostFact cancelled it, status 9) neither.
3. Fully matched -> ``payment.matched`` with the invoice total and the latest payment date.
   Collected by a direct-debit batch -> paid on the batch date, as HostFact does; a batch date
   still ahead -> planned, published once the day has come; once paid, the bank matching the
   batch later changes nothing.
4. Partly matched -> ``payment.partial`` with the amount received since the last result (not
   the running total) and what is still open. Paid more than was open -> the open amount only
   (HostFact: ``partpayment(open)``); the rest stays in Exact as a payment on account.
5. Paid less than reported (unmatched in Exact, a reversed direct debit) ->
   ``payment.reopened`` (HostFact ``markasunpaid``), followed by ``payment.partial`` for what
   is still matched. The generation grows, so a later match gets new message ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from hfexact.payments.terms import ZERO, Position, cents

ReportedStatus = Literal["open", "partial", "paid", "planned", "credited"]
PaymentType = Literal["payment.matched", "payment.partial", "payment.reopened"]
Kind = Literal["sales", "purchase"]

REASON_UNMATCHED = "The payment was unmatched in Exact Online."
REASON_REVERSED = "The direct debit was reversed (storno) in Exact Online."


@dataclass(frozen=True)
class Subject:
    """An exported invoice as the store knows it."""

    installation: str
    kind: Kind  # sales (HostFact invoice) or purchase (creditinvoice)
    hostfact_id: str
    invoice_code: str
    division: int
    entry_id: str  # Exact EntryID (lower case)
    entry_number: int | None
    credit_note: bool = False  # the HostFact record is a credit invoice
    credited: bool = False  # a credit note settled it in HostFact (not a payment)
    batch_date: dt.date | None = None  # collected in this direct-debit batch
    #: EntryIDs of entries that book the claim again (the bridge's direct-debit reversals)
    claims: tuple[str, ...] = ()

    @property
    def binding_kind(self) -> str:
        return "invoice" if self.kind == "sales" else "purchase_invoice"


@dataclass(frozen=True)
class Reported:
    """What HostFact has been told about one invoice."""

    status: ReportedStatus = "open"
    paid: Decimal = ZERO  # the running total reported paid
    generation: int = 0  # grows with every payment.reopened
    planned_for: dt.date | None = None  # a direct-debit payment waiting for its batch date

    @property
    def is_default(self) -> bool:
        return self == Reported()


@dataclass(frozen=True)
class Payment:
    """One result to publish (the envelope is built in ``results``)."""

    type: PaymentType
    amount_open: Decimal
    generation: int
    amount: Decimal | None = None  # matched: the total settled; partial: received now
    pay_date: dt.date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Decision:
    payments: tuple[Payment, ...]
    reported: Reported
    why: str  # a short explanation for logs and the reconciliation table


def decide(subject: Subject, position: Position, reported: Reported, *,
           today: dt.date) -> Decision:
    """What to publish for one invoice now, and what will have been reported after it."""
    if subject.credit_note or position.credit_note:
        return Decision((), reported, "credit note: settlements are not payments")
    if subject.credited:
        return Decision((), replace(reported, status="credited"),
                        "settled by a credit note in HostFact: not a payment")
    if not position.complete:
        return Decision((), reported, "not every piece of the entry seen yet: no evidence")
    if position.total <= ZERO:
        return Decision((), reported, "zero amount")
    if position.settled:
        return _settled(subject, position, reported, today)
    if reported.status == "planned":  # never published: back to what HostFact was told
        reported = replace(reported, status="partial" if reported.paid > ZERO else "open",
                           planned_for=None)
    if position.paid <= ZERO:
        if reported.status in ("partial", "paid") or reported.paid > ZERO:
            return _reopen(position, reported, paid_now=ZERO)
        return Decision((), reported, "open")
    # partly paid
    if reported.status == "paid" or position.paid < reported.paid:
        return _reopen(position, reported, paid_now=position.paid, today=today)
    if position.paid == reported.paid:
        return Decision((), reported, "partly paid, reported already")
    received = cents(position.paid - reported.paid)
    payment = Payment("payment.partial", amount_open=position.open,
                      generation=reported.generation, amount=received,
                      pay_date=position.paid_on or today)
    return Decision((payment,), replace(reported, status="partial", paid=position.paid),
                    f"received {received}, {position.open} open")


def _settled(subject: Subject, position: Position, reported: Reported,
             today: dt.date) -> Decision:
    if reported.status == "paid":
        return Decision((), reported, "paid, reported already")
    pay_date = subject.batch_date or position.paid_on or today
    if pay_date > today:
        planned = replace(reported, status="planned", planned_for=pay_date)
        return Decision((), planned, f"direct debit: paid on the batch date {pay_date}")
    payment = Payment("payment.matched", amount_open=ZERO, generation=reported.generation,
                      amount=position.total, pay_date=pay_date)
    done = Reported(status="paid", paid=position.total, generation=reported.generation)
    return Decision((payment,), done, f"paid on {pay_date}")


def _reopen(position: Position, reported: Reported, *, paid_now: Decimal,
            today: dt.date | None = None) -> Decision:
    generation = reported.generation + 1
    reason = REASON_REVERSED if position.reraised > ZERO else REASON_UNMATCHED
    payments = [Payment("payment.reopened", amount_open=position.total, generation=generation,
                        reason=reason)]
    status: ReportedStatus = "open"
    if paid_now > ZERO:
        assert today is not None
        payments.append(Payment("payment.partial", amount_open=position.open,
                                generation=generation, amount=paid_now,
                                pay_date=position.paid_on or today))
        status = "partial"
    after = Reported(status=status, paid=paid_now, generation=generation)
    return Decision(tuple(payments), after, f"open again: {position.open} open")
