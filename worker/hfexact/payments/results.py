"""Payment decisions as result envelopes with deterministic message ids.

The id is the project's result id (``handlers.results.message_id``: a UUID5 of result type,
installation, binding kind, HostFact id and a state), with the state made of the generation
(how often the invoice was reopened before), the amount and the amount still open. The same
evidence therefore always yields the same id: a poll that runs again after a crash republishes
what it published before under the same ids, and the PHP consumer applies each id once. A
second partial payment of the same amount differs in what is open after it; a payment after a
reopening differs in its generation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hfexact.handlers.results import envelope, message_id
from hfexact.payments.decide import Payment, Subject
from hfexact.processing_types import ResultMessage


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):.2f}"


def result_id(subject: Subject, payment: Payment) -> str:
    amount = "" if payment.amount is None else money(payment.amount)
    state = f"g{payment.generation}|{amount}|{money(payment.amount_open)}"
    return message_id(payment.type, subject.installation, subject.binding_kind,
                      subject.hostfact_id, state)


def result_data(subject: Subject, payment: Payment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": subject.kind,
        "hostfact_id": subject.hostfact_id,
        "invoice_code": subject.invoice_code,
        "division": str(subject.division),
        "entry_number": None if subject.entry_number is None else str(subject.entry_number),
    }
    if payment.type == "payment.reopened":
        data["amount_open"] = money(payment.amount_open)
        data["reason"] = payment.reason or "Open again in Exact Online."
        return data
    assert payment.amount is not None
    assert payment.pay_date is not None
    data["amount"] = money(payment.amount)
    data["pay_date"] = payment.pay_date.isoformat()
    if payment.type == "payment.partial":
        data["amount_open"] = money(payment.amount_open)
    return data


def result_message(subject: Subject, payment: Payment, occurred_at: dt.datetime) -> ResultMessage:
    """The envelope for one payment; checked against ``schemas/`` (ContractError if not)."""
    return envelope(payment.type, subject.installation, result_id(subject, payment),
                    result_data(subject, payment), occurred_at)
