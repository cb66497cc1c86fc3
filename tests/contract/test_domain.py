"""Valid examples load into typed, frozen domain objects with Decimal money and real dates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from hfexact.contract import Envelope, parse_event
from hfexact.contract import domain as d
from tests.contract.examples import VALID, example, example_id

CENT = Decimal("0.01")


def _load(kind: str, name: str) -> Envelope:
    return parse_event(example(kind, name))


class TestInvoice:
    def test_sales_invoice_is_typed(self) -> None:
        """HostFact's strings become Decimal, date, int and bool under snake_case names."""
        env = _load("invoice.issued", "dutch-bv-multiline-21-and-9-direct-debit")
        inv = env.data
        assert isinstance(inv, d.Invoice)
        assert (inv.identifier, inv.invoice_code, inv.debtor_id, inv.debtor_code) == (
            9301, "F2026-0101", 17, "DB0017")
        assert (inv.status, inv.term, inv.date) == (2, 14, dt.date(2026, 11, 28))
        assert inv.amount_incl == Decimal("241.50")
        assert isinstance(inv.amount_incl, Decimal)
        assert inv.authorisation is True
        assert inv.sdd_batch_id == "SDD20261205"
        assert inv.currency == "EUR"
        assert not inv.is_credit
        assert isinstance(inv.lines, tuple)
        assert len(inv.lines) == 3
        line = inv.lines[2]
        assert (line.number, line.price_excl, line.discount_percentage, line.tax_percentage) == (
            Decimal("3"), Decimal("24.95"), Decimal("10"), Decimal("9"))
        assert line.product_code == "P0042"
        assert line.identifier == 318703
        assert inv.lines[0].start_period == dt.date(2026, 12, 1)
        assert inv.created == dt.datetime(2026, 11, 28, 14, 58, 12)

    def test_related_carries_debtor_and_product_groups(self) -> None:
        """related.debtor is a Debtor; product groups map a code to a tuple of names."""
        env = _load("invoice.issued", "dutch-bv-multiline-21-and-9-direct-debit")
        assert isinstance(env.related, d.InvoiceRelated)
        assert env.related.debtor.tax_number == "NL001234567B01"
        assert env.related.debtor.company_number == "34123456"
        assert env.related.debtor.groups == (d.Group(id=2, name="Hosting klanten"),)
        assert env.related.product_groups["P0001"] == ("Hosting",)
        assert env.related.credits is None
        with pytest.raises(TypeError):
            env.related.product_groups["P9999"] = ("x",)  # type: ignore[index]

    def test_credit_invoice_names_the_credited_invoice(self) -> None:
        """Status 8 with negative amounts; related.credits holds the original's id and code."""
        env = _load("invoice.issued", "credit-invoice-status-8")
        assert isinstance(env.data, d.Invoice)
        assert env.data.is_credit
        assert env.data.amount_incl < 0
        assert isinstance(env.related, d.InvoiceRelated)
        assert env.related.credits == d.CreditedInvoice(
            identifier=9301, invoice_code="F2026-0101", date=dt.date(2026, 11, 28),
            amount_incl=Decimal("241.50"))

    def test_unlinked_credit_invoice_has_no_credits(self) -> None:
        """``credits: null`` loads as None."""
        env = _load("invoice.issued", "credit-invoice-without-link")
        assert isinstance(env.related, d.InvoiceRelated)
        assert env.related.credits is None

    def test_empty_hostfact_dates_become_none(self) -> None:
        """HostFact's "" for a missing date is None, not an error."""
        env = _load("invoice.issued", "consumer-unit-price-four-decimals")
        assert isinstance(env.data, d.Invoice)
        assert env.data.pay_date is None
        assert env.data.lines[0].end_period is None
        assert env.data.lines[0].price_excl == Decimal("4.1322")


@pytest.mark.parametrize(
    "path", [p for p in VALID if p.parent.name in ("invoice.issued", "invoice.changed",
                                                    "purchase_invoice.received")],
    ids=example_id,
)
def test_example_amounts_add_up(path: Path) -> None:
    """AmountExcl is the sum of the rounded lines, tax per rate, AmountIncl = excl + tax."""
    data = json.loads(path.read_bytes())["data"]
    by_rate: dict[Decimal, Decimal] = {}
    for line in data["InvoiceLines"]:
        factor = 1 - Decimal(line.get("DiscountPercentage", "0")) / 100
        amount = (Decimal(line["Number"]) * Decimal(line["PriceExcl"]) * factor).quantize(
            CENT, ROUND_HALF_UP)
        rate = Decimal(line["TaxPercentage"])
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + amount
    excl = sum(by_rate.values(), Decimal(0))
    tax = sum(((v * r / 100).quantize(CENT, ROUND_HALF_UP) for r, v in by_rate.items()),
              Decimal(0))
    assert Decimal(data["AmountExcl"]) == excl
    assert Decimal(data["AmountTax"]) == tax
    assert Decimal(data["AmountIncl"]) == excl + tax


class TestOtherTypes:
    def test_debtor_consumer_with_unicode(self) -> None:
        """A consumer has no company name; unicode survives; yes/no becomes bool."""
        env = _load("debtor.upserted", "consumer-unicode-name")
        assert isinstance(env.data, d.Debtor)
        assert (env.data.initials, env.data.surname) == ("Zoë", "Brontë")
        assert not env.data.is_company
        assert env.data.invoice_authorisation is False
        assert env.data.invoice_term == -1
        assert env.related is None

    def test_archived_debtor_with_ids_only(self) -> None:
        """debtor.archived may carry only Identifier and DebtorCode."""
        env = _load("debtor.archived", "ids-only")
        assert env.data == d.Debtor(identifier=21, debtor_code="DB0021", status=9)

    def test_purchase_invoice_and_creditor(self) -> None:
        """creditinvoice/show keeps both codes apart: ours and the supplier's."""
        env = _load("purchase_invoice.received", "german-supplier-reverse-charge")
        assert isinstance(env.data, d.PurchaseInvoice)
        assert (env.data.credit_invoice_code, env.data.invoice_code) == ("CF0502", "RE-2026-778812")
        assert env.data.lines[1].price_excl == Decimal("1.1900")
        assert isinstance(env.related, d.PurchaseInvoiceRelated)
        assert env.related.creditor.country == "DE"

    def test_sdd_batch(self) -> None:
        """A batch's elements are typed; counts and amounts are numbers."""
        env = _load("sdd_batch.downloaded", "three-invoices-first-and-recurring")
        assert isinstance(env.data, d.SddBatch)
        assert (env.data.batch_id, env.data.count, env.data.date) == (
            "SDD20261212", 3, dt.date(2026, 12, 12))
        assert env.data.amount == sum((e.amount for e in env.data.elements), Decimal(0))
        assert env.data.elements[1].mandate_type == "FRST"

    def test_sdd_reversal(self) -> None:
        env = _load("sdd.reversed", "insufficient-funds")
        assert isinstance(env.data, d.SddReversal)
        assert (env.data.invoice_id, env.data.batch_id, env.data.amount) == (
            9301, "SDD20261205", Decimal("241.50"))

    def test_settings(self) -> None:
        """settings.changed becomes ExportSettings with read-only mappings."""
        env = _load("settings.changed", "design-defaults")
        s = env.data
        assert isinstance(s, d.ExportSettings)
        assert s.vat_codes["21"] == d.VatCodeSet("2", "6", "2", "7")
        assert s.revenue_gl.by_group == {"Hosting": "8010", "Domeinnamen": "8020"}
        assert s.purchase_gl.by_group == {"Datacenter": "4010"}
        assert s.enabled.sdd_batches is True
        assert s.home_country == "NL"
        assert s.sdd.payment_condition == "IN"

    def test_results(self) -> None:
        """Result payloads are typed too (ids as int, money as Decimal)."""
        ok = _load("export.succeeded", "invoice-booked").data
        assert isinstance(ok, d.ExportSucceeded)
        assert (ok.kind, ok.hostfact_id, ok.hostfact_code, ok.division, ok.entry_number) == (
            "invoice", 9301, "F2026-0101", 123456, 26700001)
        assert ok.exact_id == "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
        assert ok.account_code is None
        assert ok.event_id is not None
        part = _load("payment.partial", "sales-half-paid").data
        assert isinstance(part, d.PaymentPartial)
        assert isinstance(part.amount_open, Decimal)
        val = _load("settings.validated", "unknown-journal-and-gl").data
        assert isinstance(val, d.SettingsValidated)
        assert val.valid is False
        assert isinstance(val.problems, tuple)
        assert len(val.problems) == 2


class TestEnvelope:
    def test_envelope_fields(self) -> None:
        """The envelope is typed: aware timestamp, installation, source system, raw document."""
        env = _load("debtor.upserted", "dutch-bv-with-vat-and-kvk")
        assert env.version == 1
        assert env.type == "debtor.upserted"
        assert env.occurred_at.utcoffset() == dt.timedelta(hours=1)
        assert (env.installation, env.source_system) == ("hf-main", "hostfact")
        assert env.raw["data"]["DebtorCode"] == "DB0017"

    @pytest.mark.parametrize("path", VALID, ids=example_id)
    def test_objects_are_frozen_slotted_dataclasses(self, path: Path) -> None:
        """Every loaded object is immutable and has slots."""
        env = parse_event(path.read_bytes())
        for obj in (env, env.data):
            assert dataclasses.is_dataclass(obj)
            assert hasattr(type(obj), "__slots__")
            first = dataclasses.fields(obj)[0].name
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(obj, first, None)
