"""HostFact sales and credit invoices as Exact ``salesentry/SalesEntries`` payloads.

* ``Journal`` = the sales journal of the settings; ``Customer`` = the debtor's account GUID.
* ``EntryDate`` = the invoice date; ``DueDate`` = date + ``Term`` days.
* ``YourRef`` = the HostFact invoice code: the key by which the worker finds an entry that
  landed before a crash, and the reference a payment is matched on.
* One line per HostFact line with an amount (zero lines, such as text-only lines, are left out
  unless nothing else remains): GL account of the first product group that has a mapping,
  else the default; ``AmountFC`` excluding VAT after line and invoice discount; ``VATCode``
  from (rate, customer kind); ``VATAmountFC`` so that the entry's totals are HostFact's totals
  to the cent (``amounts.distribute``).
* Direct debit (``Authorisation`` yes): payment condition ``sdd.payment_condition`` (``IN``).
* Credit invoices (status 8) keep HostFact's negative amounts, so Exact books a credit note.
  Exact's REST entry has no field that links a credit note to the invoice it credits, so the
  reference goes into the ``Description``: ``credit of F0001`` plus ``(Exact 26700001)`` when
  the credited invoice's entry number is known from the store. ``YourRef`` stays the credit
  invoice's own code, which keeps it unique for the exactly-once lookup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from hfexact.contract.domain import (
    INVOICE_CONCEPT,
    ExportSettings,
    Invoice,
    InvoiceRelated,
)
from hfexact.core.amounts import HUNDRED, Distribution, LineInput, RateTotal, distribute
from hfexact.core.lookups import Lookups, clip, exact_date, money
from hfexact.core.vat import CustomerKind, customer_kind, sales_vat_code
from hfexact.errors import TranslationError


def revenue_gl_code(
    product_code: str, product_groups: Mapping[str, Sequence[str]], settings: ExportSettings
) -> str:
    """The revenue GL code for a product: the first of its groups with a mapping, else default."""
    mapping = settings.revenue_gl.by_group
    for group in product_groups.get(product_code, ()) if product_code else ():
        if group in mapping and mapping[group].strip():
            return mapping[group].strip()
    return settings.revenue_gl.default.strip()


def sales_gl_codes(invoice: Invoice, related: InvoiceRelated, settings: ExportSettings) -> set[str]:
    """Every GL code the entry for this invoice refers to (for the processor to resolve)."""
    return {
        revenue_gl_code(line.product_code, related.product_groups, settings)
        for line in invoice.lines
    }


def invoice_kind(invoice: Invoice, related: InvoiceRelated, home_country: str) -> CustomerKind:
    """The customer kind at invoicing: the invoice's debtor snapshot, else the debtor record."""
    country = invoice.country or related.debtor.country
    tax_number = invoice.tax_number if invoice.country else related.debtor.tax_number
    return customer_kind(country, tax_number, home_country)


def distribution(
    invoice: Invoice, used_taxrates: Mapping[Decimal, RateTotal] | None = None
) -> Distribution:
    """The invoice's lines and VAT, fitted to HostFact's totals."""
    return distribute(
        [
            LineInput(
                price_excl=line.price_excl,
                number=line.number,
                tax_percentage=line.tax_percentage,
                discount_percentage=line.discount_percentage,
            )
            for line in invoice.lines
        ],
        amount_excl=invoice.amount_excl,
        amount_tax=invoice.amount_tax,
        amount_incl=invoice.amount_incl,
        invoice_discount=invoice.discount,
        used_taxrates=used_taxrates,
        document=f"invoice {invoice.invoice_code}",
    )


def sales_lines(
    invoice: Invoice,
    related: InvoiceRelated,
    settings: ExportSettings,
    lookups: Lookups,
    *,
    used_taxrates: Mapping[Decimal, RateTotal] | None = None,
) -> list[dict[str, Any]]:
    """The ``SalesEntryLines`` of the entry (also used to replace lines on a change)."""
    kind = invoice_kind(invoice, related, settings.home_country)
    spread = distribution(invoice, used_taxrates)
    pairs = [
        (amounts, line)
        for amounts, line in zip(spread.lines, invoice.lines, strict=True)
        if amounts.amount or amounts.vat
    ] or [(spread.lines[0], invoice.lines[0])]  # an invoice of zero still needs one line
    table = _vat_table(settings)
    return [
        {
            "GLAccount": lookups.gl(
                revenue_gl_code(line.product_code, related.product_groups, settings), "revenue"
            ),
            "AmountFC": money(amounts.amount),
            "VATCode": sales_vat_code(table, line.tax_percentage, kind),
            "VATAmountFC": money(amounts.vat),
            "Description": clip(line.description or invoice.invoice_code),
        }
        for amounts, line in pairs
    ]


def _vat_table(settings: ExportSettings) -> dict[str, dict[str, str]]:
    return {
        rate: {
            "domestic": codes.domestic,
            "eu_business": codes.eu_business,
            "eu_consumer": codes.eu_consumer,
            "non_eu": codes.non_eu,
        }
        for rate, codes in settings.vat_codes.items()
    }


def due_date(invoice: Invoice) -> dt.date:
    """HostFact's ``PayBefore`` when given, else invoice date + term days."""
    if invoice.pay_before is not None:
        return invoice.pay_before
    return invoice.date + dt.timedelta(days=max(invoice.term, 0))


def description(
    invoice: Invoice,
    related: InvoiceRelated,
    *,
    credited_entry_number: int | None = None,
) -> str:
    """``F0001 - ACME BV``; credit notes add ``credit of F0000 (Exact 26700001)``."""
    debtor = related.debtor
    name = (
        invoice.company_name.strip()
        or " ".join(p for p in (invoice.initials.strip(), invoice.surname.strip()) if p)
        or debtor.company_name.strip()
        or " ".join(p for p in (debtor.initials.strip(), debtor.surname.strip()) if p)
        or invoice.debtor_code
    )
    text = f"{invoice.invoice_code} - {name}"
    if invoice.is_credit:
        credited = related.credits.invoice_code if related.credits else None
        if credited:
            text += f" - credit of {credited}"
            if credited_entry_number is not None:
                text += f" (Exact {credited_entry_number})"
        else:
            text += " - credit invoice"
    return clip(text)


def check_exportable(invoice: Invoice) -> None:
    """Concept invoices are never exported; credit invoices must credit (total <= 0)."""
    if invoice.status == INVOICE_CONCEPT or invoice.invoice_code.startswith("[concept]"):
        raise TranslationError(
            f"invoice {invoice.invoice_code} is a concept and is never exported",
            hint="the bridge exports an invoice when it is sent",
        )
    if invoice.is_credit and invoice.amount_incl > 0:
        raise TranslationError(
            f"credit invoice {invoice.invoice_code} has a positive total "
            f"{invoice.amount_incl:.2f}; HostFact credit invoices carry negative amounts"
        )


def sales_entry(
    invoice: Invoice,
    related: InvoiceRelated,
    settings: ExportSettings,
    lookups: Lookups,
    *,
    customer_id: str,
    credited_entry_number: int | None = None,
    used_taxrates: Mapping[Decimal, RateTotal] | None = None,
) -> dict[str, Any]:
    """The ``salesentry/SalesEntries`` POST payload for an invoice or credit invoice."""
    check_exportable(invoice)
    payload: dict[str, Any] = {
        "Journal": settings.journals.sales.strip(),
        "Customer": customer_id,
        "EntryDate": exact_date(invoice.date),
        "DueDate": exact_date(due_date(invoice)),
        "YourRef": invoice.invoice_code,
        "Description": description(
            invoice, related, credited_entry_number=credited_entry_number
        ),
        "SalesEntryLines": sales_lines(
            invoice, related, settings, lookups, used_taxrates=used_taxrates
        ),
    }
    if invoice.authorisation and settings.sdd.payment_condition.strip():
        payload["PaymentCondition"] = settings.sdd.payment_condition.strip()
    return payload


def sales_header(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The header part of an entry payload, for the PUT that updates an open entry."""
    return {k: v for k, v in payload.items() if k not in ("SalesEntryLines", "Journal")}


def used_taxrates(raw: Mapping[str, Any]) -> dict[Decimal, RateTotal] | None:
    """HostFact's ``UsedTaxrates`` (keyed by fraction) from the raw event, when usable."""
    data = raw.get("data")
    used = data.get("UsedTaxrates") if isinstance(data, Mapping) else None
    if not isinstance(used, Mapping) or not used:
        return None
    out: dict[Decimal, RateTotal] = {}
    try:
        for key, value in used.items():
            if not isinstance(value, Mapping):
                return None
            out[Decimal(str(key)) * HUNDRED] = RateTotal(
                Decimal(str(value["AmountExcl"])), Decimal(str(value["AmountTax"]))
            )
    except (KeyError, InvalidOperation):
        return None
    return out
