"""HostFact purchase invoices (``creditinvoice``) as Exact ``purchaseentry/PurchaseEntries``.

* ``Journal`` = the purchase journal; ``Supplier`` = the creditor's account GUID.
* ``YourRef`` = the supplier's own invoice number (HostFact ``InvoiceCode``); when HostFact has
  none, HostFact's own number (``CreditInvoiceCode``) so the entry can still be found again.
* ``Description`` carries HostFact's ``CreditInvoiceCode`` (``CF0001 - Datacenter BV``).
* Lines: GL account of the creditor's first group that has a mapping, else the default;
  VAT code by rate (``purchase_vat_codes``); amounts fitted to HostFact's totals as for sales.
  Purchase lines have no discounts.
* Credit purchase invoices (status 8) keep their negative amounts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hfexact.contract.domain import ExportSettings, PurchaseInvoice, PurchaseInvoiceRelated
from hfexact.core.accounts import display_name
from hfexact.core.amounts import LineInput, distribute
from hfexact.core.lookups import Lookups, clip, exact_date, money
from hfexact.core.vat import purchase_vat_code
from hfexact.errors import TranslationError


def purchase_gl_code(related: PurchaseInvoiceRelated, settings: ExportSettings) -> str:
    """The cost GL code: the creditor's first group with a mapping, else the default."""
    mapping = settings.purchase_gl.by_group
    for group in related.creditor.groups:
        if group.name in mapping and mapping[group.name].strip():
            return mapping[group.name].strip()
    return settings.purchase_gl.default.strip()


def purchase_your_ref(invoice: PurchaseInvoice) -> str:
    """The supplier's invoice number, or HostFact's own code when there is none."""
    return (invoice.invoice_code or invoice.credit_invoice_code).strip()


def purchase_entry(
    invoice: PurchaseInvoice,
    related: PurchaseInvoiceRelated,
    settings: ExportSettings,
    lookups: Lookups,
    *,
    supplier_id: str,
) -> dict[str, Any]:
    """The ``purchaseentry/PurchaseEntries`` POST payload."""
    if invoice.is_credit and invoice.amount_incl > 0:
        raise TranslationError(
            f"credit purchase invoice {invoice.credit_invoice_code} has a positive total "
            f"{invoice.amount_incl:.2f}; HostFact credit invoices carry negative amounts"
        )
    spread = distribute(
        [
            LineInput(price_excl=ln.price_excl, number=ln.number, tax_percentage=ln.tax_percentage)
            for ln in invoice.lines
        ],
        amount_excl=invoice.amount_excl,
        amount_tax=invoice.amount_tax,
        amount_incl=invoice.amount_incl,
        document=f"purchase invoice {invoice.credit_invoice_code}",
    )
    gl = lookups.gl(purchase_gl_code(related, settings), "purchase costs")
    pairs = [
        (amounts, line)
        for amounts, line in zip(spread.lines, invoice.lines, strict=True)
        if amounts.amount or amounts.vat
    ] or [(spread.lines[0], invoice.lines[0])]  # an invoice of zero still needs one line
    lines: list[dict[str, Any]] = []
    for amounts, line in pairs:
        lines.append(
            {
                "GLAccount": gl,
                "AmountFC": money(amounts.amount),
                "VATCode": purchase_vat_code(settings.purchase_vat_codes, line.tax_percentage),
                "VATAmountFC": money(amounts.vat),
                "Description": clip(line.description or invoice.credit_invoice_code),
            }
        )
    creditor = related.creditor
    name = display_name(
        creditor.company_name, creditor.initials, creditor.surname, invoice.creditor_code
    )
    return {
        "Journal": settings.journals.purchase.strip(),
        "Supplier": supplier_id,
        "EntryDate": exact_date(invoice.date),
        "DueDate": exact_date(invoice.date + dt.timedelta(days=max(invoice.term, 0))),
        "YourRef": purchase_your_ref(invoice),
        "Description": clip(f"{invoice.credit_invoice_code} - {name}"),
        "PurchaseEntryLines": lines,
    }
