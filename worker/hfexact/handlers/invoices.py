"""``invoice.issued`` and ``invoice.changed`` -> one open sales entry per invoice.

Steady state (known debtor, cached GL GUIDs): one Exact call per invoice, the POST, whose
``Prefer: return=representation`` answer carries the entry number.

A change is applied while the entry is open (Exact status 20): the header is PUT and the lines
are made equal to the invoice's (new lines POSTed first, then the old ones DELETEd, because
deleting an entry's last line deletes the entry). Once the accountant processed the entry (50)
nothing is booked: the change is reported as ``export.failed`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfexact.contract.domain import INVOICE_CONCEPT, INVOICE_QUEUED, Invoice, InvoiceRelated
from hfexact.core.sales import (
    check_exportable,
    sales_entry,
    sales_gl_codes,
    sales_header,
    used_taxrates,
)
from hfexact.errors import TranslationError
from hfexact.handlers.context import Context, version_of
from hfexact.handlers.entries import EntryJob, create_entry, find_by_your_ref
from hfexact.handlers.lines import sync_lines
from hfexact.handlers.master import lookups_for, with_fresh_references
from hfexact.handlers.parties import debtor_spec, ensure_account
from hfexact.handlers.results import export_failed, export_succeeded
from hfexact.processing_types import Outcome
from hfexact.store import Binding

ENTRIES = "salesentry/SalesEntries"
LINES = "salesentry/SalesEntryLines"
OPEN = 20


def _outcome(ctx: Context, invoice: Invoice, binding: Binding, status: str, how: str,
             results: tuple[Any, ...]) -> Outcome:
    return Outcome(
        status=status,  # type: ignore[arg-type]
        event_type=ctx.env.type,
        hostfact_code=invoice.invoice_code,
        exact_id=binding.exact_id,
        details={"entry": how, "entry_number": binding.exact_number},
        results=results,
    )


def _payload(ctx: Context, invoice: Invoice, related: InvoiceRelated,
             customer_id: str) -> dict[str, Any]:
    credited: int | None = None
    if invoice.is_credit and related.credits is not None:
        other = ctx.store.get_binding(ctx.installation, "invoice",
                                      str(related.credits.identifier))
        if other is not None and other.exact_number and other.exact_number.isdigit():
            credited = int(other.exact_number)
    lookups = lookups_for(ctx, sales_gl_codes(invoice, related, ctx.settings))
    return sales_entry(invoice, related, ctx.settings, lookups, customer_id=customer_id,
                       credited_entry_number=credited,
                       used_taxrates=used_taxrates(ctx.env.raw))


def _book(ctx: Context, invoice: Invoice, related: InvoiceRelated,
          previous: Binding | None, debtor: Binding | None = None) -> tuple[Binding, str]:
    check_exportable(invoice)
    customer, _ = ensure_account(ctx, lambda: debtor_spec(ctx, related.debtor), upsert=False,
                                 known=debtor)
    customer_id = str(customer.exact_id)
    first = _payload(ctx, invoice, related, customer_id)  # translation errors before pending
    built = [first]

    def build() -> Mapping[str, Any]:
        return built.pop() if built else _payload(ctx, invoice, related, customer_id)

    job = EntryJob(
        kind="invoice", hostfact_id=str(invoice.identifier),
        hostfact_code=invoice.invoice_code, path=ENTRIES, build=build,
        find=lambda: find_by_your_ref(ctx, ENTRIES, invoice.invoice_code,
                                      ctx.settings.journals.sales, "Customer", customer_id),
        version=version_of(invoice.modified, ctx.env.occurred_at),
        details={"customer_id": customer_id, "journal": ctx.settings.journals.sales,
                 "last": "booked", "credit": invoice.is_credit,
                 # for the payment poller: the invoice this credit note settles
                 "credits": (str(related.credits.identifier)
                             if invoice.is_credit and related.credits else None)},
    )
    return create_entry(ctx, job, previous)


def invoice_issued(ctx: Context, invoice: Invoice, related: InvoiceRelated) -> Outcome:
    """An open sales entry for a sent invoice or a credit invoice; once."""
    hid = str(invoice.identifier)
    check_exportable(invoice)
    with ctx.store.record_lock(ctx.installation, "invoice", hid):
        # the invoice's binding and its debtor's, in one read
        previous, debtor = ctx.store.get_bindings(ctx.installation, [
            ("invoice", hid), ("debtor", str(related.debtor.identifier))])
        if previous is not None and previous.state == "done":
            return _outcome(ctx, invoice, previous, "duplicate", "existing",
                            (export_succeeded(previous, state="booked"),))
        binding, how = _book(ctx, invoice, related, previous, debtor)
    return _outcome(ctx, invoice, binding, "done", how,
                    (export_succeeded(binding, state="booked"),))


def invoice_changed(ctx: Context, invoice: Invoice, related: InvoiceRelated) -> Outcome:
    """Update the open entry to match, or report that the processed entry cannot change."""
    hid = str(invoice.identifier)
    with ctx.store.record_lock(ctx.installation, "invoice", hid):
        previous = ctx.store.get_binding(ctx.installation, "invoice", hid)
        if previous is None or previous.state != "done":
            if invoice.status in (INVOICE_CONCEPT, INVOICE_QUEUED):
                return Outcome(status="ignored", event_type=ctx.env.type,
                               hostfact_code=invoice.invoice_code,
                               details={"entry": "not exported yet (concept)"})
            binding, how = _book(ctx, invoice, related, previous)
            return _outcome(ctx, invoice, binding, "done", how,
                            (export_succeeded(binding, state="booked"),))
        version = version_of(invoice.modified, ctx.env.occurred_at)
        stored = previous.version or ""
        if version < stored:
            return _outcome(ctx, invoice, previous, "ignored", "older change", ())
        if version == stored:
            return _outcome(ctx, invoice, previous, "duplicate", "existing",
                            (_change_result(ctx, invoice, previous, version),))
        return _apply_change(ctx, invoice, related, previous, version)


def _change_result(ctx: Context, invoice: Invoice, binding: Binding, version: str) -> Any:
    last = binding.details.get("last")
    if last == "booked":
        return export_succeeded(binding, state="booked")
    if last == "refused":
        return _refusal(ctx, invoice, binding, version)
    return export_succeeded(binding, state=f"changed:{version}")


def _refusal(ctx: Context, invoice: Invoice, binding: Binding, version: str) -> Any:
    return export_failed(
        installation=ctx.installation, kind="invoice", hostfact_id=binding.hostfact_id,
        hostfact_code=invoice.invoice_code,
        reason=(f"Invoice {invoice.invoice_code} was changed in HostFact after its Exact entry "
                f"{binding.exact_number} was processed; Exact was not changed and nothing was "
                f"booked twice. Correct the entry in Exact by hand (e.g. with a credit note)."),
        state=f"changed:{version}", occurred_at=binding.updated_at, division=ctx.division,
        event_id=ctx.env.id,
    )


def _apply_change(ctx: Context, invoice: Invoice, related: InvoiceRelated,
                  previous: Binding, version: str) -> Outcome:
    entry_id = str(previous.exact_id)
    rows = ctx.exact.get(ctx.division, ENTRIES, {
        "$filter": f"EntryID eq guid'{entry_id}'", "$select": "EntryID,EntryNumber,Status",
        "$top": "1"})
    if not rows:
        raise TranslationError(
            f"the Exact entry {previous.exact_number} of invoice {invoice.invoice_code} no "
            f"longer exists, so the change cannot be applied",
            hint="book the invoice again by hand in Exact",
        )
    status = int(rows[0].get("Status") or 0)
    if status != OPEN:
        done = _complete(ctx, previous, version, {"last": "refused", "exact_status": status})
        return _outcome(ctx, invoice, done, "done", "refused",
                        (_refusal(ctx, invoice, done, version),))
    customer, _ = ensure_account(ctx, debtor_spec(ctx, related.debtor), upsert=False)
    customer_id = str(customer.exact_id)

    def update() -> None:
        payload = _payload(ctx, invoice, related, customer_id)
        ctx.exact.put(ctx.division, f"{ENTRIES}(guid'{entry_id}')", sales_header(payload))
        sync_lines(ctx, LINES, entry_id, payload["SalesEntryLines"])

    with_fresh_references(ctx, update)
    done = _complete(ctx, previous, version, {"last": "changed", "customer_id": customer_id})
    return _outcome(ctx, invoice, done, "done", "changed",
                    (export_succeeded(done, state=f"changed:{version}"),))


def _complete(ctx: Context, previous: Binding, version: str,
              details: Mapping[str, Any]) -> Binding:
    return ctx.store.complete_binding(
        ctx.installation, "invoice", previous.hostfact_id, exact_id=str(previous.exact_id),
        exact_number=previous.exact_number, exact_code=None, version=version,
        details={**previous.details, **details}, event_id=ctx.env.id,
    )
