"""Which HostFact invoices the poller watches: the exported ones, from the store's bindings.

A sales invoice is watched once its binding is done (``exact_id`` = the sales entry's
``EntryID``, ``exact_number`` = its ``EntryNumber``), a purchase invoice likewise. What the
bindings add:

* ``details.credit`` on an invoice binding: the HostFact record is a credit invoice;
* ``details.credits`` on a credit invoice's binding: the HostFact id of the invoice it credits
  (that invoice's settlement in Exact is then a credit, not a payment);
* a done ``sdd_batch`` binding lists the invoice codes it collected (``details.invoices``);
  its date is ``details.date``, else the date in the batch id (``SDD`` + YYYYMMDD);
* a done ``sdd_reversal`` binding (``hostfact_code`` = the invoice code, ``exact_id`` = the
  general journal entry of the storno): that entry's open item is the invoice's claim booked
  again, and the invoice is no longer "paid by the batch". Exact's payment terms of bank and
  journal lines carry no invoice number, so this link comes from the store.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hfexact.payments.decide import Kind, Subject
from hfexact.payments.terms import PAYABLE, RECEIVABLE, TermRow
from hfexact.store import Binding, Store

BATCH_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})$")


def batch_date(binding: Binding) -> dt.date | None:
    raw = binding.details.get("date")
    try:
        if isinstance(raw, str) and raw:
            return dt.date.fromisoformat(raw[:10])
        match = BATCH_DATE.search(binding.hostfact_id)
        if match:
            return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return None


def _number(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _credited_ids(bindings: Iterable[Binding]) -> set[str]:
    return {str(b.details["credits"]) for b in bindings
            if b.details.get("credit") and b.details.get("credits") not in (None, "")}


def subject_of(binding: Binding, kind: Kind, *, credited: bool = False,
               batch: dt.date | None = None, claims: tuple[str, ...] = ()) -> Subject | None:
    """The watched invoice for a done binding (None when it is not usable)."""
    if binding.state != "done" or not binding.exact_id or binding.division is None:
        return None
    return Subject(
        installation=binding.installation, kind=kind, hostfact_id=binding.hostfact_id,
        invoice_code=binding.hostfact_code or binding.hostfact_id,
        division=binding.division, entry_id=binding.exact_id.lower(),
        entry_number=_number(binding.exact_number),
        credit_note=bool(binding.details.get("credit")), credited=credited, batch_date=batch,
        claims=claims,
    )


def load_subjects(store: Store, installation: str, division: int, *,
                  purchases: bool = True) -> list[Subject]:
    """Every exported invoice (and purchase invoice) of an installation in this division."""
    invoices = store.list_bindings(installation, "invoice", "done")
    credited = _credited_ids(invoices)
    reversals = [b for b in store.list_bindings(installation, "sdd_reversal", "done")
                 if b.exact_id]
    reversed_codes = {b.hostfact_code for b in reversals}
    claims: dict[str, tuple[str, ...]] = {}
    for b in reversals:
        code = b.hostfact_code or ""
        claims[code] = (*claims.get(code, ()), str(b.exact_id).lower())
    batch_of: dict[str, dt.date] = {}
    for batch in store.list_bindings(installation, "sdd_batch", "done"):
        day = batch_date(batch)
        codes: Any = batch.details.get("invoices") or []
        if day is not None:
            batch_of.update({str(code): day for code in codes if code not in reversed_codes})
    subjects = [subject_of(b, "sales", credited=b.hostfact_id in credited,
                           batch=batch_of.get(b.hostfact_code or ""),
                           claims=claims.get(b.hostfact_code or "", ()))
                for b in invoices]
    if purchases:
        subjects += [subject_of(b, "purchase")
                     for b in store.list_bindings(installation, "purchase_invoice", "done")]
    return [s for s in subjects if s is not None and s.division == division]


LINE_TYPE: Mapping[str, int] = {"sales": RECEIVABLE, "purchase": PAYABLE}


@dataclass
class SubjectIndex:
    """Finds the watched invoice a payment-term row belongs to, and how (own piece or ref)."""

    subjects: list[Subject]
    by_entry: dict[str, Subject] = field(default_factory=dict)
    by_claim: dict[str, Subject] = field(default_factory=dict)
    by_number: dict[tuple[int, int], Subject] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for s in self.subjects:
            self.by_entry[s.entry_id] = s
            self.by_claim.update(dict.fromkeys(s.claims, s))
            if s.entry_number is not None:
                self.by_number[(LINE_TYPE[s.kind], s.entry_number)] = s

    def find(self, row: TermRow) -> tuple[Subject, bool] | None:
        """``(subject, own)`` for a row, or None when it concerns no watched invoice."""
        if row.transaction_entry_id is not None:
            owner = self.by_entry.get(row.transaction_entry_id)
            if owner is not None and LINE_TYPE[owner.kind] == row.line_type:
                return owner, True
            claimant = self.by_claim.get(row.transaction_entry_id)
            if claimant is not None and LINE_TYPE[claimant.kind] == row.line_type:
                return claimant, False
        if row.invoice_number is not None:
            named = self.by_number.get((row.line_type, row.invoice_number))
            if named is not None:
                return named, False
        return None
