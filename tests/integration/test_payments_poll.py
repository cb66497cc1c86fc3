"""The payment poller against the Exact sandbox, a real store and the real RabbitMQ.

Invoices are exported by the real processor; the sandbox matches bank payments as Exact would;
the poller publishes to ``<P>.results`` and the tests read ``<P>.bridge.results``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests.integration.test_payments_support import (  # noqa: F401 (fixtures)
    AFTER,
    Crash,
    CrashAfterPublish,
    Harness,
    by_code,
    harness_fixture,
    payments_amqp_fixture,
)
from tests.integration.test_processing_samples import (  # noqa: F401 (fixtures)
    DIV,
    INSTALLATION,
    T0,
    batch_event,
    client_fixture,
    control_fixture,
    creditor_data,
    envelope,
    invoice_event,
    open_stores_fixture,
    pg_database_fixture,
    processor_fixture,
    purchase_event,
    ready_fixture,
    reversal_event,
    sandbox_fixture,
    settings_data,
    settings_fixture,
    store_fixture,
    store_url_fixture,
)

from hfexact.payments.state import PaymentState

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


class TestSalesPayments:
    def test_full_partial_overpaid_and_unmatched(self, harness: Harness) -> None:
        """Each kind of bank payment gives the result HostFact needs, once."""
        for n in (1, 2, 3, 4):
            harness.book(n)  # 100.00 + 21 % = 121.00 each
        harness.pay(1, "121.00", "2026-12-01")
        harness.pay(2, "50.00", "2026-12-02")
        harness.pay(3, "150.00", "2026-12-03")
        harness.pay(4, "121.00", "2026-12-04")
        harness.poll()
        first = by_code(harness.published())
        assert first == {
            "F2026-0001": [("payment.matched", "121.00", None, "2026-12-01")],
            "F2026-0002": [("payment.partial", "50.00", "71.00", "2026-12-02")],
            "F2026-0003": [("payment.matched", "121.00", None, "2026-12-03")],
            "F2026-0004": [("payment.matched", "121.00", None, "2026-12-04")],
        }

        harness.pay(2, "71.00", "2026-12-06")
        harness.unmatch(4)
        harness.poll()
        second = by_code(harness.published())
        assert second == {
            "F2026-0002": [("payment.matched", "121.00", None, "2026-12-06")],
            "F2026-0004": [("payment.reopened", None, "121.00", None)],
        }

        harness.pay(4, "121.00", "2026-12-08")
        harness.poll()
        assert by_code(harness.published()) == {
            "F2026-0004": [("payment.matched", "121.00", None, "2026-12-08")]}

    def test_polling_again_publishes_nothing(self, harness: Harness) -> None:
        """A second poll over the same state is silent and costs one call per division."""
        harness.book(1)
        harness.pay(1, "121.00", "2026-12-01")
        harness.poll()
        assert len(harness.published()) == 1
        report = harness.poll()
        assert harness.published() == []
        assert [d.exact_calls for d in report.divisions] == [1, 1]

    def test_second_partial_reports_the_new_amount_only(self, harness: Harness) -> None:
        """Two part payments: 20 then 30, not 20 then 50."""
        harness.book(1)
        harness.pay(1, "20.00", "2026-12-01")
        harness.poll()
        harness.pay(1, "30.00", "2026-12-02")
        harness.poll()
        assert [(r["data"]["amount"], r["data"]["amount_open"])
                for r in harness.published()] == [("20.00", "101.00"), ("30.00", "71.00")]

    def test_unpaid_invoices_are_never_reported(self, harness: Harness) -> None:
        """Open invoices (no positive evidence) give nothing, however often polled."""
        for n in (1, 2):
            harness.book(n)
        harness.poll()
        harness.poll()
        assert harness.published() == []

    def test_crash_after_publish_republishes_the_same_ids(self, harness: Harness) -> None:
        """Killed between publishing and saving the cursor: the next poll republishes the very
        same message ids (the consumer applies each once); the one after is silent."""
        for n in (1, 2):
            harness.book(n)
        harness.pay(1, "121.00", "2026-12-01")
        harness.pay(2, "21.00", "2026-12-01")
        cursor_before = PaymentState(harness.store).cursor(DIV)
        crashing = CrashAfterPublish(harness.sink)
        with pytest.raises(Crash):
            harness.poll(crashing)
        assert PaymentState(harness.store).cursor(DIV) == cursor_before
        first = harness.published()
        harness.poll()
        again = harness.published()
        assert sorted(r["id"] for r in again) == sorted(r["id"] for r in first)
        assert {r["id"] for r in first} == {m.message_id for m in crashing.published}
        assert len(first) == 2
        harness.poll()
        assert harness.published() == []

    def test_incomplete_evidence_is_completed_from_receivables(self, harness: Harness) -> None:
        """The poller started after a part payment (its piece never seen): the rest paid is
        confirmed from cashflow/Receivables before anything is published."""
        harness.book(1)
        harness.pay(1, "21.00", "2026-12-01")
        harness.poll()
        assert len(harness.published()) == 1
        state = PaymentState(harness.store)
        binding = harness.store.get_binding(INSTALLATION, "invoice", "1")
        assert binding is not None
        harness.store.set_cursor("payments/hf-main/invoice/1", "")  # forget the pieces
        harness.pay(1, "100.00", "2026-12-05")
        before = harness.control.state()["counters"]["calls"]
        report = harness.poll()
        after = harness.control.state()["counters"]["calls"]
        assert [(r["type"], r["data"]["amount"]) for r in harness.published()] == [
            ("payment.matched", "121.00")]
        division = next(d for d in report.divisions if d.division == DIV)
        assert division.exact_calls == 2
        receivables = [k for k in after if "cashflow/Receivables" in k]
        assert receivables
        assert sum(after[k] - before.get(k, 0) for k in receivables) == 1
        assert state.cursor(DIV) is not None


class TestDirectDebit:
    def test_batch_pays_on_its_date_once(self, harness: Harness) -> None:
        """A collected invoice is paid on the batch date, not before, and the bank matching
        later changes nothing."""
        harness.book(1, Authorisation="yes", PaymentMethod="auth")
        harness.run(batch_event("SDD20261205", [(1, 1, "121.00")]))
        harness.now = AFTER - 6 * 86400  # 2026-12-04: the batch date is ahead
        harness.poll()
        assert harness.published() == []
        harness.now = AFTER
        harness.poll()
        assert by_code(harness.published()) == {
            "F2026-0001": [("payment.matched", "121.00", None, "2026-12-05")]}
        harness.pay(1, "121.00", "2026-12-08")  # the bank line lands on the invoice number
        harness.poll()
        assert harness.published() == []

    def test_reversal_reopens(self, harness: Harness) -> None:
        """A storno booked in Exact: payment.reopened with the reversal as the reason."""
        harness.book(1, Authorisation="yes", PaymentMethod="auth")
        harness.run(batch_event("SDD20261205", [(1, 1, "121.00")]))
        harness.poll()
        assert [r["type"] for r in harness.published()] == ["payment.matched"]
        harness.run(reversal_event("SDD20261205", 1, 1, "121.00"))
        harness.poll()
        (reopened,) = harness.published()
        assert reopened["type"] == "payment.reopened"
        assert "reversed" in reopened["data"]["reason"]
        assert reopened["data"]["amount_open"] == "121.00"


class TestCreditNotes:
    def test_credit_invoice_refund_is_not_a_payment(self, harness: Harness) -> None:
        """A credit note settled in Exact (a refund) gives no payment result."""
        harness.book(1)
        credit = invoice_event(2, 1, (("-100", "1", "21", "P0001"),), Status="8",
                               related_over={"credits": {"Identifier": "1",
                                                         "InvoiceCode": "F2026-0001"}})
        harness.run(credit)
        harness.pay(2, "-121.00", "2026-12-03")
        harness.poll()
        assert harness.published() == []


    def test_invoice_settled_by_its_credit_note_is_not_paid(self, harness: Harness) -> None:
        """The accountant matches an invoice with its credit note (a memorial booking against
        both numbers): that is no payment, so nothing is published for either."""
        invoice = harness.book(1)
        credit = invoice_event(2, 1, (("-100", "1", "21", "P0001"),), Status="8",
                               related_over={"credits": {"Identifier": "1",
                                                         "InvoiceCode": "F2026-0001"}})
        harness.run(credit)
        client = harness.clients(0)
        receivables = client.get(DIV, "financial/GLAccounts",
                                 {"$filter": "Code eq '1300'", "$select": "ID"})[0]["ID"]
        customer = invoice.details["customer_id"]
        client.post(DIV, "generaljournalentry/GeneralJournalEntries", {
            "JournalCode": "90", "GeneralJournalEntryLines": [
                {"GLAccount": receivables, "Account": customer, "AmountFC": "-121.00",
                 "OurRef": harness.number(1), "Date": "2026-12-02T00:00:00Z",
                 "Description": "Creditnota tegen factuur"},
                {"GLAccount": receivables, "Account": customer, "AmountFC": "121.00",
                 "OurRef": harness.number(2), "Date": "2026-12-02T00:00:00Z",
                 "Description": "Factuur tegen creditnota"}]})
        terms = harness.control.table("ledger/terms")
        assert {t["InvoiceNumber"]: t["Status"] for t in terms if t["_role"] == "invoice"} == {
            harness.number(1): 50, harness.number(2): 50}
        harness.poll()
        assert harness.published() == []


class TestPurchases:
    def test_paid_and_part_paid_purchase_invoices(self, harness: Harness) -> None:
        """Payables: creditinvoice results of kind purchase."""
        harness.run(envelope("creditor.upserted", creditor_data(1)))
        harness.run(purchase_event(11, 1))  # 4 x 250 + 21 % = 1210.00
        harness.run(purchase_event(12, 1))
        harness.pay(11, "1210.00", "2026-12-02", kind="purchase_invoice")
        harness.pay(12, "210.00", "2026-12-03", kind="purchase_invoice")
        harness.poll()
        results = {r["data"]["invoice_code"]: r for r in harness.published()}
        assert results["CF0011"]["type"] == "payment.matched"
        assert results["CF0011"]["data"]["kind"] == "purchase"
        assert results["CF0012"]["type"] == "payment.partial"
        assert Decimal(results["CF0012"]["data"]["amount_open"]) == Decimal("1000.00")


class TestExactFailures:
    def test_unavailable_division_is_reported_and_retried(self, harness: Harness) -> None:
        """Exact answers 503 for one division: that division reports the error and saves
        nothing, the other is polled; the next poll publishes what was missed."""
        harness.book(1)
        harness.pay(1, "121.00", "2026-12-01")
        harness.control.post("faults", {"method": "GET", "count": 1, "status": 503,
                                        "path": f"/api/v1/{DIV}/sync/Cashflow/PaymentTerms"})
        report = harness.poll()
        failed = next(d for d in report.divisions if d.division == DIV)
        assert "503" in failed.error or "unavailable" in failed.error.lower()
        assert failed.cursor_after is None
        assert report.errors
        assert [d.error for d in report.divisions if d.division != DIV] == [""]
        assert harness.published() == []
        harness.poll()
        assert [r["type"] for r in harness.published()] == ["payment.matched"]

    def test_refused_division_does_not_stop_the_others(self, harness: Harness) -> None:
        """A 403 (rights, app scope) is that division's error, not the poller's end."""
        harness.control.post("faults", {"method": "GET", "count": 1, "status": 403,
                                        "path": f"/api/v1/{DIV}/sync/Cashflow/PaymentTerms"})
        report = harness.poll()
        assert [bool(d.error) for d in report.divisions] == [True, False]


class TestSwitchedOff:
    def test_payments_off_in_the_settings_polls_nothing(self, harness: Harness) -> None:
        """enabled.payments false for an installation: its division is not read at all."""
        harness.book(1)
        harness.pay(1, "121.00", "2026-12-01")
        enabled = {"debtors": True, "creditors": True, "invoices": True,
                   "purchase_invoices": True, "sdd_batches": True, "payments": False}
        harness.run(envelope("settings.changed", settings_data(enabled=enabled),
                             occurred_at=T0 + dt.timedelta(hours=1)))
        report = harness.poll()
        assert "switched off" in report.not_polled[INSTALLATION]
        assert [d.division for d in report.divisions] == [234567]
        assert harness.published() == []


class TestRateBudget:
    def test_exports_keep_their_share_of_the_minute(self, harness: Harness) -> None:
        """With Exact's 60 a minute, the poller takes at most 6 and never the last 54: after
        exports used more, it skips the division until the next minute."""
        harness.control.post("limits", {"minutely": 60, "daily": 5000, "reset_counters": True})
        harness.store.drop_budget(DIV)
        clock = harness.follow_sandbox_clock()
        harness.follow_sandbox_clock(61 - clock() % 60)  # one second into a fresh minute
        n = 0
        while (budget := harness.store.get_budget(DIV)) is None or (
                budget.minute_remaining or 60) > 54:
            n += 1
            harness.book(n)
        harness.pay(1, "121.00", "2026-11-27")
        sync = f"GET /api/v1/{DIV}/sync/Cashflow/PaymentTerms"
        before = harness.control.state()["counters"]["calls"].get(sync, 0)
        report = harness.poll()
        division = next(d for d in report.divisions if d.division == DIV)
        assert "kept for exports" in division.skipped
        assert division.exact_calls == 0
        assert harness.control.state()["counters"]["calls"].get(sync, 0) == before
        assert harness.published() == []

        harness.follow_sandbox_clock(60)  # the next minute: room again
        report = harness.poll()
        division = next(d for d in report.divisions if d.division == DIV)
        assert (division.skipped, division.exact_calls) == ("", 1)
        assert harness.control.state()["counters"]["calls"].get(sync, 0) == before + 1
        assert [r["type"] for r in harness.published()] == ["payment.matched"]
