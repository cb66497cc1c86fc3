"""Sample domain objects for the core tests (and the checks that they are self-consistent)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hfexact.contract.domain import (
    CreditedInvoice,
    Creditor,
    Debtor,
    EnabledKinds,
    ExportSettings,
    GlMapping,
    Group,
    Invoice,
    InvoiceLine,
    InvoiceRelated,
    Journals,
    PurchaseInvoice,
    PurchaseInvoiceLine,
    PurchaseInvoiceRelated,
    SddBatch,
    SddElement,
    SddReversal,
    SddSettings,
    VatCodeSet,
)
from hfexact.core.lookups import Lookups

D = Decimal

GUIDS = {
    "8000": "00000000-0000-0000-0000-000000008000",
    "8010": "00000000-0000-0000-0000-000000008010",
    "8020": "00000000-0000-0000-0000-000000008020",
    "4000": "00000000-0000-0000-0000-000000004000",
    "4010": "00000000-0000-0000-0000-000000004010",
    "1105": "00000000-0000-0000-0000-000000001105",
    "1300": "00000000-0000-0000-0000-000000001300",
}
CUSTOMER = "11111111-1111-1111-1111-111111111111"
SUPPLIER = "22222222-2222-2222-2222-222222222222"


def lookups() -> Lookups:
    return Lookups(gl_accounts=GUIDS, receivables_gl=GUIDS["1300"])


def settings(**over: object) -> ExportSettings:
    values: dict[str, object] = {
        "enabled": EnabledKinds(True, True, True, True, True, True),
        "debtor_code_mask": "1###",
        "creditor_code_mask": "2###",
        "journals": Journals(sales="70", purchase="60", memorial="90"),
        "revenue_gl": GlMapping("8000", {"Hosting": "8010", "Domeinnamen": "8020"}),
        "purchase_gl": GlMapping("4000", {"Datacenter": "4010"}),
        "vat_codes": {
            "21": VatCodeSet("2", "6", "2", "7"),
            "9": VatCodeSet("1", "6", "1", "7"),
            "0": VatCodeSet("0", "6", "0", "7"),
        },
        "purchase_vat_codes": {"21": "3", "9": "4", "0": "0"},
        "sdd": SddSettings(intermediate_gl="1105", journal="90", payment_condition="IN"),
        "home_country": "NL",
    }
    values.update(over)
    return ExportSettings(**values)  # type: ignore[arg-type]


def debtor(**over: object) -> Debtor:
    values: dict[str, object] = {
        "identifier": 1,
        "debtor_code": "DB0001",
        "company_name": "ACME Hosting BV",
        "company_number": "12345678",
        "tax_number": "NL123456789B01",
        "initials": "Jan",
        "surname": "Jansen",
        "address": "Straat 1",
        "zip_code": "1234 AB",
        "city": "Utrecht",
        "country": "NL",
        "email_address": "billing@acme.example; ceo@acme.example",
        "phone_number": "030-1234567",
        "modified": dt.datetime(2026, 11, 1, 12, 0, 0),
    }
    values.update(over)
    return Debtor(**values)  # type: ignore[arg-type]


def creditor(**over: object) -> Creditor:
    values: dict[str, object] = {
        "identifier": 5,
        "creditor_code": "CD0005",
        "company_name": "Datacenter BV",
        "tax_number": "NL999999999B01",
        "country": "NL",
        "groups": (Group(3, "Datacenter"),),
    }
    values.update(over)
    return Creditor(**values)  # type: ignore[arg-type]


def invoice_line(price: str, number: str = "1", tax: str = "21", product: str = "",
                 discount: str = "0", description: str = "Hosting") -> InvoiceLine:
    return InvoiceLine(number=D(number), description=description, price_excl=D(price),
                       tax_percentage=D(tax), product_code=product,
                       discount_percentage=D(discount))


def invoice(**over: object) -> Invoice:
    values: dict[str, object] = {
        "identifier": 100,
        "invoice_code": "F2026-0001",
        "debtor_id": 1,
        "debtor_code": "DB0001",
        "status": 2,
        "date": dt.date(2026, 11, 28),
        "term": 14,
        "amount_excl": D("150.00"),
        "amount_tax": D("31.50"),
        "amount_incl": D("181.50"),
        "lines": (invoice_line("100", product="P0001", description="Hosting"),
                  invoice_line("50", product="P0002", description="Domain")),
        "company_name": "ACME Hosting BV",
        "country": "NL",
        "tax_number": "NL123456789B01",
    }
    values.update(over)
    return Invoice(**values)  # type: ignore[arg-type]


def related(**over: object) -> InvoiceRelated:
    values: dict[str, object] = {
        "debtor": debtor(),
        "product_groups": {"P0001": ("Hosting",), "P0002": ("Overig", "Domeinnamen")},
    }
    values.update(over)
    return InvoiceRelated(**values)  # type: ignore[arg-type]


def credit_invoice() -> Invoice:
    return invoice(
        identifier=101, invoice_code="F2026-0002", status=8,
        amount_excl=D("-100.00"), amount_tax=D("-21.00"), amount_incl=D("-121.00"),
        lines=(invoice_line("-100", product="P0001"),),
    )


def credit_related() -> InvoiceRelated:
    return related(credits=CreditedInvoice(100, "F2026-0001", dt.date(2026, 11, 28)))


def purchase(**over: object) -> PurchaseInvoice:
    values: dict[str, object] = {
        "identifier": 7,
        "credit_invoice_code": "CF0007",
        "invoice_code": "INV-88812",
        "creditor_id": 5,
        "creditor_code": "CD0005",
        "status": 1,
        "date": dt.date(2026, 11, 20),
        "term": 30,
        "amount_excl": D("200.00"),
        "amount_tax": D("42.00"),
        "amount_incl": D("242.00"),
        "lines": (PurchaseInvoiceLine(D(1), "Rack space", D("200"), D(21)),),
    }
    values.update(over)
    return PurchaseInvoice(**values)  # type: ignore[arg-type]


def purchase_related(**over: object) -> PurchaseInvoiceRelated:
    return PurchaseInvoiceRelated(creditor=creditor(**over))


def batch(**over: object) -> SddBatch:
    values: dict[str, object] = {
        "batch_id": "SDD20261201",
        "date": dt.date(2026, 12, 1),
        "status": "downloaded",
        "count": 2,
        "amount": D("302.50"),
        "elements": (
            SddElement("F2026-0001", "DB0001", D("181.50"), "draft", 100, 1),
            SddElement("F2026-0003", "DB0002", D("121.00"), "draft", 102, 2),
        ),
    }
    values.update(over)
    return SddBatch(**values)  # type: ignore[arg-type]


def reversal(**over: object) -> SddReversal:
    values: dict[str, object] = {
        "invoice_code": "F2026-0003",
        "debtor_code": "DB0002",
        "batch_id": "SDD20261201",
        "amount": D("121.00"),
        "reason": "AM04 insufficient funds",
        "invoice_id": 102,
        "debtor_id": 2,
    }
    values.update(over)
    return SddReversal(**values)  # type: ignore[arg-type]


class TestSamples:
    def test_sample_invoice_totals_are_consistent(self) -> None:
        """The sample invoice's totals add up, so tests built on it test the core."""
        inv = invoice()
        assert inv.amount_excl + inv.amount_tax == inv.amount_incl
        assert sum(ln.price_excl * ln.number for ln in inv.lines) == inv.amount_excl

    def test_sample_batch_adds_up(self) -> None:
        """The sample batch's elements add up to its amount."""
        b = batch()
        assert sum(e.amount for e in b.elements) == b.amount
