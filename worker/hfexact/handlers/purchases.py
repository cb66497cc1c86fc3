"""``purchase_invoice.received`` -> one open purchase entry, exactly once.

The creditor snapshot in ``related.creditor`` creates the supplier account when it is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfexact.contract.domain import PurchaseInvoice, PurchaseInvoiceRelated
from hfexact.core.purchases import purchase_entry, purchase_gl_code, purchase_your_ref
from hfexact.handlers.context import Context, version_of
from hfexact.handlers.entries import EntryJob, create_entry, find_by_your_ref
from hfexact.handlers.master import lookups_for
from hfexact.handlers.parties import creditor_spec, ensure_account
from hfexact.handlers.results import export_succeeded
from hfexact.processing_types import Outcome

ENTRIES = "purchaseentry/PurchaseEntries"


def purchase_invoice_received(
    ctx: Context, invoice: PurchaseInvoice, related: PurchaseInvoiceRelated
) -> Outcome:
    hid = str(invoice.identifier)
    code = invoice.credit_invoice_code
    with ctx.store.record_lock(ctx.installation, "purchase_invoice", hid):
        # the purchase invoice's binding and its creditor's, in one read
        previous, creditor = ctx.store.get_bindings(ctx.installation, [
            ("purchase_invoice", hid), ("creditor", str(related.creditor.identifier))])
        if previous is not None and previous.state == "done":
            return Outcome(status="duplicate", event_type=ctx.env.type, hostfact_code=code,
                           exact_id=previous.exact_id,
                           details={"entry": "existing", "entry_number": previous.exact_number},
                           results=(export_succeeded(previous, state="booked"),))
        supplier, _ = ensure_account(ctx, lambda: creditor_spec(ctx, related.creditor),
                                     upsert=False, known=creditor)
        supplier_id = str(supplier.exact_id)

        def payload() -> dict[str, Any]:
            lookups = lookups_for(ctx, {purchase_gl_code(related, ctx.settings)})
            return purchase_entry(invoice, related, ctx.settings, lookups,
                                  supplier_id=supplier_id)

        built = [payload()]

        def build() -> Mapping[str, Any]:
            return built.pop() if built else payload()

        job = EntryJob(
            kind="purchase_invoice", hostfact_id=hid, hostfact_code=code, path=ENTRIES,
            build=build,
            find=lambda: find_by_your_ref(ctx, ENTRIES, purchase_your_ref(invoice),
                                          ctx.settings.journals.purchase, "Supplier",
                                          supplier_id),
            version=version_of(invoice.modified, ctx.env.occurred_at),
            details={"supplier_id": supplier_id, "journal": ctx.settings.journals.purchase},
        )
        binding, how = create_entry(ctx, job, previous)
    return Outcome(status="done", event_type=ctx.env.type, hostfact_code=code,
                   exact_id=binding.exact_id,
                   details={"entry": how, "entry_number": binding.exact_number},
                   results=(export_succeeded(binding, state="booked"),))
