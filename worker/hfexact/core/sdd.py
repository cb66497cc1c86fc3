"""Direct-debit batches and reversals as Exact ``generaljournalentry/GeneralJournalEntries``.

HostFact's help: a downloaded batch is exported "as a receipt on the chosen intermediate
account"; the invoices carry payment condition ``IN`` and are matched at once. As one general
journal entry in the configured journal (``sdd.journal``, else the memorial journal):

* one debit line on the intermediate GL account (``sdd.intermediate_gl``) for the batch total;
* one credit line per collected invoice: ``Account`` = the customer, ``GLAccount`` = the
  division's receivables account, ``OurRef`` = the invoice's Exact entry number and
  ``AmountFC`` = minus the collected amount, so Exact matches each invoice (afletteren).

Elements that failed or were cancelled in HostFact are not collected and not booked.

A reversal (storno, ``sdd.reversed``) books the opposite for that one customer: debit the
customer's receivable with ``OurRef`` = the entry number (the invoice is open again), credit
the intermediate account. HostFact leaves this to the user; the bridge does it.

Sign convention: ``AmountFC`` positive is debit, negative is credit.
Every line ``Description`` starts with the batch id (``SDD20261201``), which is how the worker
finds an entry again after a crash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hfexact.contract.domain import ExportSettings, SddBatch, SddElement, SddReversal
from hfexact.core.lookups import Lookups, clip, exact_date, money
from hfexact.errors import TranslationError

NOT_COLLECTED = frozenset({"failed", "cancelled"})


@dataclass(frozen=True)
class BookedInvoice:
    """An exported invoice as the store knows it: who it is for and its Exact number."""

    invoice_code: str
    customer_id: str
    entry_number: int


def sdd_journal(settings: ExportSettings) -> str:
    return (settings.sdd.journal or settings.journals.memorial).strip()


def collected(batch: SddBatch) -> tuple[SddElement, ...]:
    """The elements that are collected (not failed or cancelled)."""
    return tuple(e for e in batch.elements if e.status.strip().lower() not in NOT_COLLECTED)


def batch_total(batch: SddBatch) -> Decimal:
    """The collected total; equal to the batch's ``Amount`` when every element is collected."""
    elements = collected(batch)
    total = sum((e.amount for e in elements), Decimal(0))
    if len(elements) == len(batch.elements) and total != batch.amount:
        raise TranslationError(
            f"direct-debit batch {batch.batch_id}: its elements add up to {total:.2f} but the "
            f"batch amount is {batch.amount:.2f}"
        )
    if not elements:
        raise TranslationError(
            f"direct-debit batch {batch.batch_id} has no collected elements to book"
        )
    return total


def sdd_batch_entry(
    batch: SddBatch,
    settings: ExportSettings,
    lookups: Lookups,
    booked: Mapping[str, BookedInvoice],
) -> dict[str, Any]:
    """The general journal entry for a downloaded batch; ``booked`` is keyed by invoice code."""
    total = batch_total(batch)
    intermediate = lookups.gl(settings.sdd.intermediate_gl, "direct-debit intermediate account")
    receivables = _receivables(lookups)
    day = exact_date(batch.date)
    lines: list[dict[str, Any]] = [
        {
            "GLAccount": intermediate,
            "AmountFC": money(total),
            "Date": day,
            "Description": clip(f"{batch.batch_id} direct debit batch ({len(collected(batch))})"),
        }
    ]
    for element in collected(batch):
        invoice = booked.get(element.invoice_code)
        if invoice is None:
            raise TranslationError(
                f"direct-debit batch {batch.batch_id}: invoice {element.invoice_code} is not "
                f"exported to Exact"
            )
        lines.append(
            {
                "GLAccount": receivables,
                "Account": invoice.customer_id,
                "AmountFC": money(-element.amount),
                "OurRef": invoice.entry_number,
                "Date": day,
                "Description": clip(f"{batch.batch_id} {element.invoice_code}"),
            }
        )
    return {"JournalCode": sdd_journal(settings), "GeneralJournalEntryLines": lines}


def sdd_reversal_entry(
    reversal: SddReversal,
    settings: ExportSettings,
    lookups: Lookups,
    invoice: BookedInvoice,
    *,
    day: dt.date,
) -> dict[str, Any]:
    """The general journal entry that undoes one customer's part of a batch (storno)."""
    if reversal.amount <= 0:
        raise TranslationError(
            f"reversal of {reversal.invoice_code}: the amount {reversal.amount:.2f} must be "
            f"positive"
        )
    intermediate = lookups.gl(settings.sdd.intermediate_gl, "direct-debit intermediate account")
    when = exact_date(reversal.date or day)
    text = f"{reversal.batch_id} {reversal.invoice_code} storno"
    if reversal.reason.strip():
        text += f": {reversal.reason.strip()}"
    return {
        "JournalCode": sdd_journal(settings),
        "GeneralJournalEntryLines": [
            {
                "GLAccount": _receivables(lookups),
                "Account": invoice.customer_id,
                "AmountFC": money(reversal.amount),
                "OurRef": invoice.entry_number,
                "Date": when,
                "Description": clip(text),
            },
            {
                "GLAccount": intermediate,
                "AmountFC": money(-reversal.amount),
                "Date": when,
                "Description": clip(text),
            },
        ],
    }


def _receivables(lookups: Lookups) -> str:
    if not lookups.receivables_gl:
        raise TranslationError(
            "the Exact division has no receivables (debtors) GL account to book against"
        )
    return lookups.receivables_gl
