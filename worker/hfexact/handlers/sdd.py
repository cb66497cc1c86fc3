"""``sdd_batch.downloaded`` and ``sdd.reversed`` -> general journal entries, exactly once.

A batch waits (``WaitingForDependency``: a delayed retry, not a dead letter) until every
collected invoice has its Exact entry; a reversal waits for its batch's booking. General
journal entries have no ``YourRef``: an entry that landed before a crash is found by its
first line's description (which starts with the batch id) on the intermediate account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfexact.contract.domain import SddBatch, SddReversal
from hfexact.core.sdd import BookedInvoice, collected, sdd_batch_entry, sdd_reversal_entry
from hfexact.errors import WaitingForDependency
from hfexact.handlers.context import Context
from hfexact.handlers.entries import EntryJob, create_entry, quote
from hfexact.handlers.master import lookups_for
from hfexact.handlers.results import export_succeeded
from hfexact.processing_types import Outcome
from hfexact.store import Binding

ENTRIES = "generaljournalentry/GeneralJournalEntries"
LINES = "generaljournalentry/GeneralJournalEntryLines"


def _booked(ctx: Context, invoice_id: int | None, invoice_code: str) -> BookedInvoice | None:
    binding: Binding | None = None
    if invoice_id is not None:
        binding = ctx.store.get_binding(ctx.installation, "invoice", str(invoice_id))
    else:
        binding = next((b for b in ctx.store.list_bindings(ctx.installation, "invoice", "done")
                        if b.hostfact_code == invoice_code), None)
    if binding is None or binding.state != "done" or not binding.exact_number:
        return None
    customer = binding.details.get("customer_id")
    if not customer or not str(binding.exact_number).isdigit():
        return None
    return BookedInvoice(invoice_code, str(customer), int(binding.exact_number))


def _find_by_line(ctx: Context, line: Mapping[str, Any]) -> Mapping[str, Any] | None:
    flt = (f"Description eq {quote(str(line['Description']))} "
           f"and GLAccount eq guid'{line['GLAccount']}'")
    rows = ctx.exact.get(ctx.division, LINES, {"$filter": flt, "$select": "EntryID", "$top": "1"})
    if not rows:
        return None
    entry_id = rows[0]["EntryID"]
    entries = ctx.exact.get(ctx.division, ENTRIES, {
        "$filter": f"EntryID eq guid'{entry_id}'", "$select": "EntryID,EntryNumber", "$top": "1"})
    return entries[0] if entries else {"EntryID": entry_id, "EntryNumber": None}


def _outcome(ctx: Context, code: str, binding: Binding, status: str, how: str) -> Outcome:
    return Outcome(status=status, event_type=ctx.env.type, hostfact_code=code,  # type: ignore[arg-type]
                   exact_id=binding.exact_id,
                   details={"entry": how, "entry_number": binding.exact_number},
                   results=(export_succeeded(binding, state="booked"),))


def sdd_batch_downloaded(ctx: Context, batch: SddBatch) -> Outcome:
    """The receipt on the intermediate account, crediting every invoice by entry number."""
    hid = batch.batch_id
    with ctx.store.record_lock(ctx.installation, "sdd_batch", hid):
        previous = ctx.store.get_binding(ctx.installation, "sdd_batch", hid)
        if previous is not None and previous.state == "done":
            return _outcome(ctx, hid, previous, "duplicate", "existing")
        booked: dict[str, BookedInvoice] = {}
        waiting: list[str] = []
        for element in collected(batch):
            found = _booked(ctx, element.invoice_id, element.invoice_code)
            if found is None:
                waiting.append(element.invoice_code)
            else:
                booked[element.invoice_code] = found
        if waiting:
            raise WaitingForDependency(
                f"direct-debit batch {hid} waits until its invoices are exported: "
                + ", ".join(waiting)
            )

        def payload() -> dict[str, Any]:
            lookups = lookups_for(ctx, {ctx.settings.sdd.intermediate_gl}, receivables=True)
            return sdd_batch_entry(batch, ctx.settings, lookups, booked)

        built = [payload()]
        first_line = built[0]["GeneralJournalEntryLines"][0]
        job = EntryJob(
            kind="sdd_batch", hostfact_id=hid, hostfact_code=hid, path=ENTRIES,
            build=lambda: built.pop() if built else payload(),
            find=lambda: _find_by_line(ctx, first_line),
            details={"invoices": sorted(booked), "date": batch.date.isoformat()},
        )
        binding, how = create_entry(ctx, job, previous)
    return _outcome(ctx, hid, binding, "done", how)


def sdd_reversed(ctx: Context, reversal: SddReversal) -> Outcome:
    """Storno: the customer's part goes back from the intermediate account to the invoice."""
    hid = f"{reversal.batch_id}:{reversal.invoice_id or reversal.invoice_code}"
    code = reversal.invoice_code
    with ctx.store.record_lock(ctx.installation, "sdd_reversal", hid):
        previous = ctx.store.get_binding(ctx.installation, "sdd_reversal", hid)
        if previous is not None and previous.state == "done":
            return _outcome(ctx, code, previous, "duplicate", "existing")
        batch = ctx.store.get_binding(ctx.installation, "sdd_batch", reversal.batch_id)
        invoice = _booked(ctx, reversal.invoice_id, reversal.invoice_code)
        if batch is None or batch.state != "done" or invoice is None:
            raise WaitingForDependency(
                f"reversal of {code} waits until batch {reversal.batch_id} and the invoice are "
                f"booked in Exact"
            )
        day = (reversal.date or ctx.env.occurred_at.date())

        def payload() -> dict[str, Any]:
            lookups = lookups_for(ctx, {ctx.settings.sdd.intermediate_gl}, receivables=True)
            return sdd_reversal_entry(reversal, ctx.settings, lookups, invoice, day=day)

        built = [payload()]
        first_line = built[0]["GeneralJournalEntryLines"][0]
        job = EntryJob(
            kind="sdd_reversal", hostfact_id=hid, hostfact_code=code, path=ENTRIES,
            build=lambda: built.pop() if built else payload(),
            find=lambda: _find_by_line(ctx, first_line),
            details={"batch": reversal.batch_id, "amount": str(reversal.amount)},
        )
        binding, how = create_entry(ctx, job, previous)
    return _outcome(ctx, code, binding, "done", how)
