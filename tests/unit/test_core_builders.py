"""Exact payloads built from HostFact domain objects: accounts, entries, batches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hfexact.contract.domain import Group, InvoiceLine, SddElement
from hfexact.core.accounts import blocked_account, creditor_account, debtor_account, debtor_code
from hfexact.core.amounts import RateTotal
from hfexact.core.lookups import Lookups, first_email
from hfexact.core.purchases import purchase_entry, purchase_gl_code
from hfexact.core.sales import sales_entry, sales_gl_codes, sales_header, used_taxrates
from hfexact.core.sdd import BookedInvoice, sdd_batch_entry, sdd_reversal_entry
from hfexact.errors import TranslationError
from tests.unit.test_core_samples import (
    CUSTOMER,
    GUIDS,
    SUPPLIER,
    batch,
    credit_invoice,
    credit_related,
    creditor,
    debtor,
    invoice,
    invoice_line,
    lookups,
    purchase,
    purchase_related,
    related,
    reversal,
    settings,
)

D = Decimal


def total(lines: list[dict[str, object]], key: str) -> Decimal:
    return sum((D(str(x[key])) for x in lines), D(0))


class TestDebtorAccount:
    def test_customer_account_fields(self) -> None:
        """A debtor becomes a customer (Status C) with its contact data and padded code."""
        p = debtor_account(debtor(), settings(), code="1001")
        assert p["Status"] == "C"
        assert p["SearchCode"] == "DB0001"  # found again in Exact by its HostFact code
        assert p["Code"] == " " * 14 + "1001"
        assert p["Name"] == "ACME Hosting BV"
        assert (p["AddressLine1"], p["Postcode"], p["City"], p["Country"]) == (
            "Straat 1", "1234 AB", "Utrecht", "NL")
        assert p["Email"] == "billing@acme.example"  # first of the ;-separated list
        assert p["Phone"] == "030-1234567"
        assert p["VATNumber"] == "NL123456789B01"
        assert p["ChamberOfCommerce"] == "12345678"
        assert "PaymentConditionSales" not in p

    def test_direct_debit_debtor_gets_payment_condition_in(self) -> None:
        """InvoiceAuthorisation yes -> PaymentConditionSales IN."""
        p = debtor_account(debtor(invoice_authorisation=True), settings(), code=None)
        assert p["PaymentConditionSales"] == "IN"
        assert "Code" not in p  # no mask: Exact assigns the code

    def test_person_without_company_is_named_by_first_and_last_name(self) -> None:
        """Initials (HostFact's first name) + SurName when there is no company."""
        p = debtor_account(debtor(company_name=""), settings(), code=None)
        assert p["Name"] == "Jan Jansen"

    def test_empty_fields_are_left_out(self) -> None:
        """HostFact's empty strings do not blank Exact's fields."""
        p = debtor_account(debtor(phone_number="", mobile_number="", company_number=""),
                           settings(), code=None)
        assert "Phone" not in p
        assert "ChamberOfCommerce" not in p

    def test_mobile_number_is_used_without_a_phone_number(self) -> None:
        """A debtor with only a mobile number still gets a phone."""
        p = debtor_account(debtor(phone_number="", mobile_number="06-12345678"), settings(),
                           code=None)
        assert p["Phone"] == "06-12345678"

    def test_code_comes_from_the_mask(self) -> None:
        """DB0001 under 1### is 1001."""
        assert debtor_code(debtor(), settings()) == "1001"

    def test_blocked_payload(self) -> None:
        """Archiving blocks the account; nothing is deleted."""
        assert blocked_account() == {"Blocked": True}

    def test_first_email_skips_blanks(self) -> None:
        """';a@b' gives 'a@b'; '' gives ''."""
        assert first_email(" ; a@example.org;b@example.org") == "a@example.org"
        assert first_email("") == ""


class TestCreditorAccount:
    def test_supplier_account(self) -> None:
        """A creditor becomes a supplier account (IsSupplier), not Status S (suspect)."""
        p = creditor_account(creditor(), settings(), code="2005")
        assert p["IsSupplier"] is True
        assert "Status" not in p
        assert p["Code"].strip() == "2005"
        assert p["Name"] == "Datacenter BV"


class TestSalesEntry:
    def test_header_and_lines(self) -> None:
        """Journal, customer, dates, YourRef and one line per invoice line."""
        p = sales_entry(invoice(), related(), settings(), lookups(), customer_id=CUSTOMER)
        assert p["Journal"] == "70"
        assert p["Customer"] == CUSTOMER
        assert p["EntryDate"] == "2026-11-28T00:00:00Z"
        assert p["DueDate"] == "2026-12-12T00:00:00Z"  # + 14 days
        assert p["YourRef"] == "F2026-0001"
        assert p["Description"] == "F2026-0001 - ACME Hosting BV"
        assert "PaymentCondition" not in p
        lines = p["SalesEntryLines"]
        assert [x["GLAccount"] for x in lines] == [GUIDS["8010"], GUIDS["8020"]]
        assert [x["AmountFC"] for x in lines] == ["100.00", "50.00"]
        assert [x["VATCode"] for x in lines] == ["2", "2"]
        assert [x["VATAmountFC"] for x in lines] == ["21.00", "10.50"]
        assert total(lines, "AmountFC") == D("150.00")
        assert total(lines, "VATAmountFC") == D("31.50")

    def test_amounts_are_decimal_strings_never_floats(self) -> None:
        """Money travels as two-decimal strings."""
        p = sales_entry(invoice(), related(), settings(), lookups(), customer_id=CUSTOMER)
        for line in p["SalesEntryLines"]:
            assert isinstance(line["AmountFC"], str)
            assert isinstance(line["VATAmountFC"], str)

    def test_product_group_mapping_takes_the_first_mapped_group(self) -> None:
        """P0002 is in 'Overig' (unmapped) and 'Domeinnamen' (8020): 8020."""
        assert sales_gl_codes(invoice(), related(), settings()) == {"8010", "8020"}

    def test_lines_without_product_or_mapping_use_the_default(self) -> None:
        """No ProductCode or no mapped group -> the default revenue account."""
        inv = invoice(lines=(invoice_line("100"), invoice_line("50", product="P9")))
        p = sales_entry(inv, related(), settings(), lookups(), customer_id=CUSTOMER)
        assert {x["GLAccount"] for x in p["SalesEntryLines"]} == {GUIDS["8000"]}

    def test_direct_debit_invoice_uses_payment_condition_in(self) -> None:
        """Authorisation yes -> PaymentCondition IN."""
        p = sales_entry(invoice(authorisation=True), related(), settings(), lookups(),
                        customer_id=CUSTOMER)
        assert p["PaymentCondition"] == "IN"

    def test_pay_before_wins_over_term(self) -> None:
        """HostFact's own PayBefore is the due date when it is given."""
        p = sales_entry(invoice(pay_before=dt.date(2027, 1, 5)), related(), settings(),
                        lookups(), customer_id=CUSTOMER)
        assert p["DueDate"] == "2027-01-05T00:00:00Z"

    @pytest.mark.parametrize(
        ("country", "tax_number", "code"),
        [("NL", "", "2"), ("BE", "BE0123456789", "6"), ("DE", "", "2"), ("US", "", "7")],
    )
    def test_vat_code_follows_the_customer_kind(
        self, country: str, tax_number: str, code: str
    ) -> None:
        """The invoice's debtor snapshot decides domestic / EU business / EU consumer / non-EU."""
        inv = invoice(country=country, tax_number=tax_number,
                      lines=(invoice_line("100"),), amount_excl=D("100.00"),
                      amount_tax=D("21.00"), amount_incl=D("121.00"))
        p = sales_entry(inv, related(), settings(), lookups(), customer_id=CUSTOMER)
        assert p["SalesEntryLines"][0]["VATCode"] == code

    def test_rounding_case_entry_carries_hostfact_vat(self) -> None:
        """Three lines of 1.07 at 21%: per-line VAT 0.66, HostFact 0.67; the entry says 0.67."""
        inv = invoice(lines=(invoice_line("1.07"),) * 3, amount_excl=D("3.21"),
                      amount_tax=D("0.67"), amount_incl=D("3.88"))
        p = sales_entry(inv, related(), settings(), lookups(), customer_id=CUSTOMER)
        lines = p["SalesEntryLines"]
        assert total(lines, "AmountFC") == D("3.21")
        assert total(lines, "VATAmountFC") == D("0.67")
        assert total(lines, "AmountFC") + total(lines, "VATAmountFC") == inv.amount_incl

    def test_used_taxrates_are_honoured(self) -> None:
        """Per-rate totals from HostFact's UsedTaxrates decide each rate's VAT."""
        inv = invoice(
            lines=(invoice_line("10.01"), invoice_line("10.01"),
                   invoice_line("5.05", tax="9"), invoice_line("5.05", tax="9")),
            amount_excl=D("30.12"), amount_tax=D("5.11"), amount_incl=D("35.23"))
        used = {D(21): RateTotal(D("20.02"), D("4.20")), D(9): RateTotal(D("10.10"), D("0.91"))}
        p = sales_entry(inv, related(), settings(), lookups(), customer_id=CUSTOMER,
                        used_taxrates=used)
        vats = [D(x["VATAmountFC"]) for x in p["SalesEntryLines"]]
        assert vats[2] + vats[3] == D("0.91")
        assert [x["VATCode"] for x in p["SalesEntryLines"]] == ["2", "2", "1", "1"]

    def test_zero_lines_are_left_out(self) -> None:
        """A text-only line (price 0) does not become an Exact line."""
        inv = invoice(lines=(invoice_line("100", product="P0001"),
                             invoice_line("0", description="Note"),
                             invoice_line("50", product="P0002")))
        p = sales_entry(inv, related(), settings(), lookups(), customer_id=CUSTOMER)
        assert len(p["SalesEntryLines"]) == 2

    def test_credit_invoice_is_negative_and_names_the_credited_invoice(self) -> None:
        """Status 8: negative amounts; the description names the credited invoice and number."""
        p = sales_entry(credit_invoice(), credit_related(), settings(), lookups(),
                        customer_id=CUSTOMER, credited_entry_number=26700001)
        assert p["YourRef"] == "F2026-0002"  # its own code, unique for the lookup
        assert "credit of F2026-0001 (Exact 26700001)" in p["Description"]
        assert total(p["SalesEntryLines"], "AmountFC") == D("-100.00")
        assert total(p["SalesEntryLines"], "VATAmountFC") == D("-21.00")

    def test_credit_invoice_without_known_entry_number(self) -> None:
        """Without a known entry number the description still names the credited invoice."""
        p = sales_entry(credit_invoice(), credit_related(), settings(), lookups(),
                        customer_id=CUSTOMER)
        assert p["Description"].endswith("credit of F2026-0001")

    def test_credit_invoice_with_positive_total_is_refused(self) -> None:
        """A status-8 invoice that would charge the customer is not booked."""
        with pytest.raises(TranslationError, match="positive total"):
            sales_entry(invoice(status=8), related(), settings(), lookups(),
                        customer_id=CUSTOMER)

    def test_concept_invoice_is_never_exported(self) -> None:
        """Status 0 or a [concept] code is refused."""
        with pytest.raises(TranslationError, match="concept"):
            sales_entry(invoice(status=0), related(), settings(), lookups(),
                        customer_id=CUSTOMER)
        with pytest.raises(TranslationError, match="concept"):
            sales_entry(invoice(invoice_code="[concept]0001"), related(), settings(),
                        lookups(), customer_id=CUSTOMER)

    def test_unknown_gl_account_is_named(self) -> None:
        """A GL code that is not in the division is a translation error naming it."""
        with pytest.raises(TranslationError, match="8010"):
            sales_entry(invoice(), related(), settings(), Lookups(gl_accounts={}),
                        customer_id=CUSTOMER)

    def test_missing_vat_mapping_is_named(self) -> None:
        """A rate without a configured VAT code is refused."""
        inv = invoice(lines=(InvoiceLine(D(1), "x", D("100"), D("6")),),
                      amount_excl=D("100.00"), amount_tax=D("6.00"), amount_incl=D("106.00"))
        with pytest.raises(TranslationError, match="6%"):
            sales_entry(inv, related(), settings(), lookups(), customer_id=CUSTOMER)

    def test_header_for_update_drops_lines_and_journal(self) -> None:
        """A PUT on the header carries no lines (Exact ignores them there) and no journal."""
        p = sales_entry(invoice(), related(), settings(), lookups(), customer_id=CUSTOMER)
        h = sales_header(p)
        assert "SalesEntryLines" not in h
        assert "Journal" not in h
        assert h["YourRef"] == "F2026-0001"


class TestPurchaseEntry:
    def test_purchase_entry(self) -> None:
        """Supplier, purchase journal, supplier's number as YourRef, CF code in description."""
        p = purchase_entry(purchase(), purchase_related(), settings(), lookups(),
                           supplier_id=SUPPLIER)
        assert p["Journal"] == "60"
        assert p["Supplier"] == SUPPLIER
        assert p["YourRef"] == "INV-88812"
        assert "CF0007" in p["Description"]
        assert p["DueDate"] == "2026-12-20T00:00:00Z"
        (line,) = p["PurchaseEntryLines"]
        assert line["GLAccount"] == GUIDS["4010"]  # creditor group Datacenter
        assert (line["AmountFC"], line["VATCode"], line["VATAmountFC"]) == ("200.00", "3",
                                                                            "42.00")

    def test_default_gl_without_mapped_group(self) -> None:
        """A creditor without a mapped group books on the default purchase account."""
        assert purchase_gl_code(purchase_related(groups=(Group(9, "Other"),)), settings()) == (
            "4000")

    def test_supplier_number_missing_falls_back_to_hostfact_code(self) -> None:
        """Without the supplier's number, YourRef is HostFact's own CF code."""
        p = purchase_entry(purchase(invoice_code=""), purchase_related(), settings(), lookups(),
                           supplier_id=SUPPLIER)
        assert p["YourRef"] == "CF0007"


class TestSddBatch:
    BOOKED = {
        "F2026-0001": BookedInvoice("F2026-0001", CUSTOMER, 26700001),
        "F2026-0003": BookedInvoice("F2026-0003", "33333333-3333-3333-3333-333333333333",
                                    26700003),
    }

    def test_batch_entry_debits_intermediate_and_credits_each_invoice(self) -> None:
        """One debit for the total, one credit per invoice with its entry number as OurRef."""
        p = sdd_batch_entry(batch(), settings(), lookups(), self.BOOKED)
        assert p["JournalCode"] == "90"
        first, *rest = p["GeneralJournalEntryLines"]
        assert first["GLAccount"] == GUIDS["1105"]
        assert first["AmountFC"] == "302.50"
        assert [(x["Account"], x["OurRef"], x["AmountFC"], x["GLAccount"]) for x in rest] == [
            (CUSTOMER, 26700001, "-181.50", GUIDS["1300"]),
            ("33333333-3333-3333-3333-333333333333", 26700003, "-121.00", GUIDS["1300"]),
        ]
        assert total(p["GeneralJournalEntryLines"], "AmountFC") == 0  # balanced
        assert all(x["Description"].startswith("SDD20261201") for x in
                   p["GeneralJournalEntryLines"])

    def test_failed_elements_are_not_booked(self) -> None:
        """A failed element is not collected; the total is what was collected."""
        b = batch(elements=(
            SddElement("F2026-0001", "DB0001", D("181.50"), "success", 100, 1),
            SddElement("F2026-0003", "DB0002", D("121.00"), "failed", 102, 2),
        ))
        p = sdd_batch_entry(b, settings(), lookups(), self.BOOKED)
        assert p["GeneralJournalEntryLines"][0]["AmountFC"] == "181.50"
        assert len(p["GeneralJournalEntryLines"]) == 2

    def test_inconsistent_batch_total_is_refused(self) -> None:
        """Elements that do not add up to the batch amount are refused."""
        with pytest.raises(TranslationError, match="add up"):
            sdd_batch_entry(batch(amount=D("300.00")), settings(), lookups(), self.BOOKED)

    def test_missing_invoice_is_refused(self) -> None:
        """Every element's invoice must be booked (the processor waits before this)."""
        with pytest.raises(TranslationError, match="F2026-0003"):
            sdd_batch_entry(batch(), settings(), lookups(),
                            {"F2026-0001": self.BOOKED["F2026-0001"]})

    def test_memorial_journal_when_no_sdd_journal(self) -> None:
        """The memorial journal is the fallback."""
        s = settings()
        s2 = settings(sdd=type(s.sdd)(intermediate_gl="1105", journal="", payment_condition="IN"))
        assert sdd_batch_entry(batch(), s2, lookups(), self.BOOKED)["JournalCode"] == "90"

    def test_reversal_reopens_the_invoice(self) -> None:
        """Storno: debit the customer's receivable with OurRef, credit the intermediate."""
        p = sdd_reversal_entry(reversal(), settings(), lookups(), self.BOOKED["F2026-0003"],
                               day=dt.date(2026, 12, 5))
        cust, inter = p["GeneralJournalEntryLines"]
        assert (cust["Account"], cust["OurRef"], cust["AmountFC"], cust["GLAccount"]) == (
            "33333333-3333-3333-3333-333333333333", 26700003, "121.00", GUIDS["1300"])
        assert (inter["GLAccount"], inter["AmountFC"]) == (GUIDS["1105"], "-121.00")
        assert cust["Date"] == "2026-12-05T00:00:00Z"
        assert "AM04" in cust["Description"]

    def test_reversal_needs_a_receivables_account(self) -> None:
        """Without the division's receivables account nothing can be booked."""
        with pytest.raises(TranslationError, match="receivables"):
            sdd_reversal_entry(reversal(), settings(), Lookups(gl_accounts=GUIDS),
                               self.BOOKED["F2026-0003"], day=dt.date(2026, 12, 5))


class TestUsedTaxrates:
    def test_fraction_keys_become_percentages(self) -> None:
        """HostFact keys UsedTaxrates by fraction; the core keys by percentage."""
        raw = {"data": {"UsedTaxrates": {
            "0.21": {"AmountExcl": "100.00", "AmountTax": "21.00", "AmountIncl": "121.00"},
            "0.09": {"AmountExcl": "10.00", "AmountTax": "0.90", "AmountIncl": "10.90"}}}}
        assert used_taxrates(raw) == {D(21): RateTotal(D("100.00"), D("21.00")),
                                      D(9): RateTotal(D("10.00"), D("0.90"))}

    @pytest.mark.parametrize("used", [None, {}, "x", {"0.21": "x"}, {"0.21": {"AmountTax": "1"}},
                                      {"abc": {"AmountExcl": "1", "AmountTax": "1"}}])
    def test_unusable_used_taxrates_are_ignored(self, used: object) -> None:
        """Absent or malformed UsedTaxrates fall back to computing the per-rate figures."""
        assert used_taxrates({"data": {"UsedTaxrates": used}}) is None
