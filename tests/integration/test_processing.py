"""The processor against the Exact sandbox and a real store (SQLite and PostgreSQL).

Every numbered effect of the worker issue, exactly once: ``Processor.process()`` is called
directly with event bodies (the AMQP loop has its own tests); the sandbox's state shows what
landed in Exact and its counters how many calls it cost.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

import pytest
from tests.integration.test_processing_samples import (  # noqa: F401 (fixtures)
    DIV,
    DIV2,
    INSTALLATION,
    OTHER,
    T0,
    SandboxControl,
    batch_event,
    client_fixture,
    control_fixture,
    creditor_data,
    debtor_data,
    envelope,
    invoice_event,
    log_in,
    meta,
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

from hfexact.config import Settings
from hfexact.contract import validate_result
from hfexact.errors import (
    ExactRejected,
    MayStillLand,
    RateLimited,
    TransientError,
    TranslationError,
    WaitingForDependency,
)
from hfexact.exact.client import ExactClient
from hfexact.processing import Processor, build_processor
from hfexact.store import Budget, Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def run(processor: Processor, body: bytes) -> Any:
    outcome = processor.process(body, meta(body))
    for result in outcome.results:
        validate_result(result.body)
    return outcome


def accounts(control: SandboxControl, division: int = DIV) -> list[dict[str, Any]]:
    return control.table("crm/Accounts", division)


class TestSettings:
    def test_valid_settings_are_stored_and_answered(
        self, processor: Processor, store: Store
    ) -> None:
        """settings.changed -> stored, checked against Exact, settings.validated valid."""
        body = envelope("settings.changed", settings_data())
        outcome = run(processor, body)
        (result,) = outcome.results
        assert result.type == "settings.validated"
        assert result.body["data"] == {"installation": INSTALLATION,
                                       "settings_version": meta(body).message_id,
                                       "valid": True, "problems": []}
        stored = store.load_settings(INSTALLATION)
        assert stored is not None
        assert stored.valid is True

    def test_every_problem_is_listed(self, processor: Processor, store: Store) -> None:
        """Unknown GL, wrong journal type, missing VAT code: all named in one answer."""
        data = settings_data(
            journals={"sales": "60", "purchase": "60", "memorial": "90"},
            revenue_gl={"default": "8000", "by_product_group": {"Hosting": "9999"}},
            purchase_vat_codes={"21": "3", "9": "44", "0": "0"},
        )
        outcome = run(processor, envelope("settings.changed", data))
        problems = outcome.results[0].body["data"]["problems"]
        assert outcome.results[0].body["data"]["valid"] is False
        text = "\n".join(problems)
        assert "journal 60 is a purchase" in text
        assert "GL account 9999 does not exist" in text
        assert "VAT code 44 does not exist" in text
        assert len(problems) == 3
        stored = store.load_settings(INSTALLATION)
        assert stored is not None
        assert stored.valid is False

    def test_events_wait_for_valid_settings(
        self, processor: Processor, control: SandboxControl
    ) -> None:
        """Before (valid) settings exist, an event waits: a delayed retry, not a dead letter."""
        body = envelope("debtor.upserted", debtor_data(1))
        with pytest.raises(WaitingForDependency, match="no export settings"):
            processor.process(body, meta(body))
        bad = settings_data(journals={"sales": "99", "purchase": "60", "memorial": "90"})
        run(processor, envelope("settings.changed", bad))
        with pytest.raises(WaitingForDependency, match="invalid"):
            processor.process(body, meta(body))
        run(processor, envelope("settings.changed", settings_data()))
        assert run(processor, body).status == "done"
        assert len(accounts(control)) == 1

    def test_redelivered_settings_give_the_same_answer_without_calls(
        self, processor: Processor, control: SandboxControl
    ) -> None:
        """A duplicate settings.changed answers from the store with the same message id."""
        body = envelope("settings.changed", settings_data())
        first = run(processor, body)
        calls = control.calls()
        again = run(processor, body)
        assert again.status == "duplicate"
        assert again.results[0].message_id == first.results[0].message_id
        assert control.calls() == calls


class TestDebtors:
    def test_debtor_becomes_a_customer_account(
        self, ready: Processor, control: SandboxControl, store: Store
    ) -> None:
        """debtor.upserted -> Status C, masked code, contact data, IN for direct debit."""
        body = envelope("debtor.upserted", debtor_data(1, InvoiceAuthorisation="yes",
                                                       MandateID="DB0001-1",
                                                       MandateDate="2026-03-02"))
        outcome = run(ready, body)
        assert outcome.status == "done"
        (account,) = accounts(control)
        assert account["Code"] == " " * 14 + "1001"
        assert account["Status"] == "C"
        assert account["Name"] == "Klant 1 B.V."
        assert account["Email"] == "admin1@klant.example"
        assert account["VATNumber"] == "NL001234567B01"
        assert account["ChamberOfCommerce"] == "34123456"
        assert account["PaymentConditionSales"] == "IN"
        assert account["SearchCode"] == "DB0001"
        data = outcome.results[0].body["data"]
        assert (data["kind"], data["hostfact_code"], data["account_code"]) == (
            "debtor", "DB0001", "1001")
        assert data["exact_id"] == account["ID"]

    def test_redelivery_creates_nothing_twice(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """The same event again: duplicate, same result id, no Exact call."""
        body = envelope("debtor.upserted", debtor_data(2))
        first = run(ready, body)
        calls = control.calls()
        again = run(ready, body)
        assert again.status == "duplicate"
        assert [r.message_id for r in again.results] == [r.message_id for r in first.results]
        assert control.calls() == calls
        assert len(accounts(control)) == 1

    def test_newer_version_updates_and_older_is_ignored(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """A later Modified updates the account (PUT); an older one arriving late is ignored."""
        run(ready, envelope("debtor.upserted", debtor_data(3)))
        newer = envelope("debtor.upserted", debtor_data(
            3, CompanyName="Klant 3 Nieuw B.V.", Modified="2026-11-29 09:00:00"))
        assert run(ready, newer).status == "done"
        older = envelope("debtor.upserted", debtor_data(
            3, CompanyName="Klant 3 Oud B.V.", Modified="2026-11-28 16:00:00"))
        outcome = run(ready, older)
        assert outcome.status == "ignored"
        assert outcome.results == ()
        (account,) = accounts(control)
        assert account["Name"] == "Klant 3 Nieuw B.V."
        assert account["Code"].strip() == "1003"  # never renumbered

    def test_mask_collision_names_both_codes(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """DB001 after DB0001: both map to 1001; refused, naming both, with export.failed."""
        run(ready, envelope("debtor.upserted", debtor_data(1)))
        clash = envelope("debtor.upserted", debtor_data(77, DebtorCode="DB001"))
        with pytest.raises(TranslationError) as info:
            ready.process(clash, meta(clash))
        assert "DB001" in str(info.value)
        assert "DB0001" in str(info.value)
        (failed,) = info.value.results  # type: ignore[attr-defined]
        validate_result(failed.body)
        assert failed.type == "export.failed"
        assert "DB0001" in failed.body["data"]["reason"]
        assert len(accounts(control)) == 1

    def test_code_too_long_for_the_mask_is_refused(self, ready: Processor) -> None:
        """DB1001 does not fit 1###: a translation error before anything is booked."""
        body = envelope("debtor.upserted", debtor_data(1001))
        with pytest.raises(TranslationError, match="does not fit"):
            ready.process(body, meta(body))

    def test_archived_debtor_is_blocked_not_deleted(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """debtor.archived blocks the account; a second delivery changes nothing."""
        run(ready, envelope("debtor.upserted", debtor_data(4)))
        body = envelope("debtor.archived", {"Identifier": "4", "DebtorCode": "DB0004"})
        assert run(ready, body).status == "done"
        (account,) = accounts(control)
        assert account["Blocked"] is True
        assert run(ready, body).status == "duplicate"

    def test_archiving_an_unknown_debtor_is_ignored(self, ready: Processor) -> None:
        """Nothing in Exact for this debtor: nothing to block."""
        body = envelope("debtor.archived", {"Identifier": "99", "DebtorCode": "DB0099"})
        assert run(ready, body).status == "ignored"

    def test_account_that_landed_before_a_crash_is_adopted(
        self, ready: Processor, control: SandboxControl, store: Store
    ) -> None:
        """Exact commits the POST, the connection drops: the retry finds the account by code."""
        control.fault("POST", f"/api/v1/{DIV}/crm/Accounts", action="commit_then_drop")
        body = envelope("debtor.upserted", debtor_data(5))
        with pytest.raises(TransientError):
            ready.process(body, meta(body))
        binding = store.get_binding(INSTALLATION, "debtor", "5")
        assert binding is not None
        assert binding.state == "pending"
        outcome = retry_after_the_window(ready, body)
        assert outcome.status == "done"
        assert outcome.details["account"] == "adopted"
        (account,) = accounts(control)
        assert outcome.exact_id == account["ID"]

    def test_new_debtor_costs_one_call(self, ready: Processor, control: SandboxControl) -> None:
        """A debtor never seen before: one POST, no lookup first."""
        calls = control.calls()
        outcome = run(ready, envelope("debtor.upserted", debtor_data(8)))
        assert (outcome.status, outcome.details["account"]) == ("done", "created")
        assert control.calls() - calls == 1

    def test_account_from_before_cut_over_is_adopted_and_updated(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """HostFact's own export made account 1009 earlier: Exact refuses the POST (the code
        exists), the account is found by code, adopted and brought up to date: one account."""
        ready.client.post(DIV, "crm/Accounts", {"Code": "1009", "Name": "Oude naam",
                                                "SearchCode": "DB0009", "Status": "C"})
        calls = control.calls()
        outcome = run(ready, envelope("debtor.upserted", debtor_data(9)))
        assert (outcome.status, outcome.details["account"]) == ("done", "adopted")
        (account,) = accounts(control)
        assert outcome.exact_id == account["ID"]
        assert account["Name"] == debtor_data(9)["CompanyName"]
        assert control.calls() - calls == 3  # POST refused, GET by code, PUT

    def test_code_taken_by_someone_else_is_refused_naming_them(
        self, ready: Processor, control: SandboxControl, store: Store
    ) -> None:
        """Account 1010 exists for another relation: refused with its name; nothing changed."""
        ready.client.post(DIV, "crm/Accounts", {"Code": "1010", "Name": "Iemand Anders",
                                                "SearchCode": "X-1", "Status": "C"})
        body = envelope("debtor.upserted", debtor_data(10))
        with pytest.raises(TranslationError, match="Iemand Anders"):
            ready.process(body, meta(body))
        (account,) = accounts(control)
        assert account["Name"] == "Iemand Anders"
        binding = store.get_binding(INSTALLATION, "debtor", "10")
        assert binding is not None
        assert binding.state != "done"


class TestSettingsSeenByWorkers:
    def test_own_change_applies_at_once_and_anothers_within_the_freshness_time(
        self, ready: Processor, settings: Settings, store: Store, client: ExactClient,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """This worker's settings change counts for its next event; a change made by another
        worker is read again once SETTINGS_FRESH_SECONDS have passed."""
        import time

        from hfexact import processing

        monkeypatch.setattr(processing, "SETTINGS_FRESH_SECONDS", 0.3)
        off = settings_data()
        off["enabled"] = {**off["enabled"], "debtors": False}
        run(ready, envelope("settings.changed", off))
        assert run(ready, envelope("debtor.upserted", debtor_data(21))).status == "ignored"

        other = Processor(settings, store, client)
        run(other, envelope("settings.changed", settings_data()))  # debtors back on
        time.sleep(0.4)
        assert run(ready, envelope("debtor.upserted", debtor_data(22))).status == "done"

    def test_a_fix_stored_by_another_worker_counts_at_once_for_a_failing_event(
        self, ready: Processor, settings: Settings, store: Store, client: ExactClient,
    ) -> None:
        """Settings without the 9 % rate: a 9 % invoice fails. Another worker stores the fix;
        the very next try here (a replay right after the fix) books it, though this worker
        read the settings a moment ago."""
        lacking = settings_data()
        del lacking["vat_codes"]["9"]
        run(ready, envelope("settings.changed", lacking))
        body = invoice_event(301, 1, [("12.50", "2", "9", "P0002")])
        with pytest.raises(TranslationError, match="9"):
            ready.process(body, meta(body))
        run(Processor(settings, store, client), envelope("settings.changed", settings_data()))
        assert run(ready, body).status == "done"


class TestCreditors:
    def test_creditor_becomes_a_supplier(self, ready: Processor, control: SandboxControl) -> None:
        """creditor.upserted -> IsSupplier, creditor mask 2###."""
        outcome = run(ready, envelope("creditor.upserted", creditor_data(3)))
        assert outcome.status == "done"
        (account,) = accounts(control)
        assert account["IsSupplier"] is True
        assert account["Code"].strip() == "2003"
        assert account["Status"] in (None, "", "A")


def retry_after_the_window(processor: Processor, body: bytes) -> Any:
    """An earlier attempt left its binding pending: an immediate retry waits (its request may
    still land in Exact), one after ``in_flight_seconds`` looks and goes on."""
    with pytest.raises(MayStillLand) as waited:
        processor.process(body, meta(body))
    assert waited.value.retry_at > time.time()
    clock = processor.clock
    processor.clock = lambda: clock() + processor.in_flight_seconds + 1
    try:
        return run(processor, body)
    finally:
        processor.clock = clock


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def entries(control: SandboxControl, path: str = "salesentry/SalesEntries",
            division: int = DIV) -> list[dict[str, Any]]:
    return control.table(path, division)


def lines_of(control: SandboxControl, entry_id: str,
             path: str = "salesentry/SalesEntryLines") -> list[dict[str, Any]]:
    return [x for x in control.table(path) if x["EntryID"] == entry_id]


class TestInvoices:
    def test_invoice_becomes_an_open_sales_entry_with_its_debtor(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """invoice.issued of an unknown debtor: the account is made, then the open entry."""
        body = invoice_event(101, 7, [("100", "1", "21", "P0001"), ("25.50", "2", "9", "P0002"),
                                      ("10", "1", "21", "")])
        outcome = run(ready, body)
        assert outcome.status == "done"
        (account,) = accounts(control)
        assert account["Code"].strip() == "1007"
        (entry,) = entries(control)
        assert entry["Status"] == 20
        assert entry["Journal"] == "70"
        assert entry["Customer"] == account["ID"]
        assert entry["YourRef"] == "F2026-0101"
        assert entry["Description"] == "F2026-0101 - Klant 7 B.V."
        assert entry["EntryDate"].startswith(("2026-11-28", "/Date("))
        lines = lines_of(control, entry["EntryID"])
        gl = {g["ID"]: g["Code"] for g in control.table("financial/GLAccounts")}
        assert sorted((gl[x["GLAccount"]], money(x["AmountFC"]), x["VATCode"].strip(),
                       money(x["VATAmountFC"])) for x in lines) == [
            ("8000", Decimal("10.00"), "2", Decimal("2.10")),
            ("8010", Decimal("100.00"), "2", Decimal("21.00")),
            ("8020", Decimal("51.00"), "1", Decimal("4.59")),
        ]
        data = outcome.results[0].body["data"]
        assert data["kind"] == "invoice"
        assert data["entry_number"] == str(entry["EntryNumber"])
        assert data["exact_id"] == entry["EntryID"]

    def test_totals_equal_hostfact_even_where_line_vat_would_differ(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """Three lines of 1.07 at 21%: HostFact's VAT is 0.67, Exact's per-line VAT 0.66.

        The entry carries VAT amounts so its totals are HostFact's AmountExcl, AmountTax and
        AmountIncl to the cent.
        """
        body = invoice_event(102, 1, [("1.07", "1", "21", "P0001")] * 3)
        data = json.loads(body)["data"]
        assert (data["AmountExcl"], data["AmountTax"], data["AmountIncl"]) == (
            "3.21", "0.67", "3.88")
        run(ready, body)
        (entry,) = entries(control)
        lines = lines_of(control, entry["EntryID"])
        assert sum(money(x["AmountFC"]) for x in lines) == Decimal("3.21")
        assert money(entry["VATAmountFC"]) == Decimal("0.67")
        assert money(entry["AmountFC"]) == Decimal("3.88")  # Exact: total including VAT
        per_line = sum((money(x["AmountFC"]) * Decimal("0.21")).quantize(Decimal("0.01"))
                       for x in lines)
        assert per_line == Decimal("0.66")  # what Exact would have computed itself

    def test_credit_invoice_is_a_credit_note_referencing_the_invoice(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """Status 8, negative amounts: Exact type 21, description names the credited entry."""
        first = run(ready, invoice_event(103, 1))
        number = first.results[0].body["data"]["entry_number"]
        credit = invoice_event(
            104, 1, [("-100", "1", "21", "P0001")], Status="8",
            related_over={"credits": {"Identifier": "103", "InvoiceCode": "F2026-0103",
                                      "Date": "2026-11-28", "AmountIncl": "121.00"}})
        run(ready, credit)
        note = next(e for e in entries(control) if e["YourRef"] == "F2026-0104")
        assert note["Type"] == 21
        assert money(note["AmountFC"]) == Decimal("-121.00")
        assert f"credit of F2026-0103 (Exact {number})" in note["Description"]

    def test_direct_debit_invoice_uses_payment_condition_in(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """Authorisation yes -> the entry's payment condition is IN."""
        run(ready, invoice_event(105, 1, Authorisation="yes", PaymentMethod="auth"))
        (entry,) = entries(control)
        assert entry["PaymentCondition"] == "IN"

    def test_redelivery_books_nothing_twice_and_costs_no_call(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """The same invoice.issued again: same results, no Exact call, one entry."""
        body = invoice_event(106, 1)
        first = run(ready, body)
        calls = control.calls()
        again = run(ready, body)
        assert again.status == "duplicate"
        assert again.results[0].message_id == first.results[0].message_id
        assert control.calls() == calls
        replay = invoice_event(106, 1)  # a replay: a new event id for the same invoice
        assert run(ready, replay).status == "duplicate"
        assert len(entries(control)) == 1

    def test_crash_between_post_and_bookkeeping_adopts_what_landed(
        self, ready: Processor, control: SandboxControl, store: Store
    ) -> None:
        """commit_then_drop: Exact booked it, we lost the answer; the retry adopts it by YourRef."""
        run(ready, envelope("debtor.upserted", debtor_data(1)))
        control.fault("POST", f"/api/v1/{DIV}/salesentry/SalesEntries",
                      action="commit_then_drop")
        body = invoice_event(107, 1)
        with pytest.raises(TransientError):
            ready.process(body, meta(body))
        binding = store.get_binding(INSTALLATION, "invoice", "107")
        assert binding is not None
        assert binding.state == "pending"
        outcome = retry_after_the_window(ready, body)
        assert outcome.details["entry"] == "adopted"
        (entry,) = entries(control)
        assert outcome.exact_id == entry["EntryID"]
        assert outcome.results[0].body["data"]["entry_number"] == str(entry["EntryNumber"])

    def test_a_request_still_in_flight_is_not_booked_twice(
        self, ready: Processor, settings: Settings, store: Store, control: SandboxControl,
    ) -> None:
        """The client gives up (or its worker dies) while Exact is still booking the entry:
        a retry at once would look, find nothing yet and post a second entry. It waits
        (MayStillLand) until the request can have landed, then adopts it: one entry."""
        import dataclasses

        from hfexact.exact.client import ExactClient as Client

        run(ready, envelope("debtor.upserted", debtor_data(1)))
        impatient = dataclasses.replace(settings, http_timeout_seconds=0.5)
        processor = Processor(impatient, store, Client(impatient, store))
        assert processor.in_flight_seconds == 1.0
        control.fault("POST", f"/api/v1/{DIV}/salesentry/SalesEntries", delay=0.8)
        body = invoice_event(110, 1)
        with pytest.raises(TransientError):  # the client's read timeout, 0.5 s
            processor.process(body, meta(body))
        with pytest.raises(MayStillLand) as waited:  # Exact books it at 0.8 s
            processor.process(body, meta(body))
        time.sleep(max(0.0, waited.value.retry_at - time.time()) + 0.2)
        outcome = run(processor, body)
        assert outcome.details["entry"] == "adopted"
        assert len(entries(control)) == 1

    def test_transient_failure_then_success_books_once(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """A 503 on the POST: nothing landed; the retry looks, finds nothing, posts once."""
        run(ready, envelope("debtor.upserted", debtor_data(1)))
        control.fault("POST", f"/api/v1/{DIV}/salesentry/SalesEntries", status=503)
        body = invoice_event(108, 1)
        with pytest.raises(TransientError):
            ready.process(body, meta(body))
        assert retry_after_the_window(ready, body).details["entry"] == "created"
        assert len(entries(control)) == 1

    def test_exact_validation_error_is_permanent_with_export_failed(
        self, ready: Processor, control: SandboxControl, store: Store
    ) -> None:
        """Exact refuses (GL blocked after the settings check): dead letter, export.failed."""
        gl = next(g for g in control.table("financial/GLAccounts") if g["Code"] == "8099")
        store.cache_put(DIV, "gl", "8000", gl["ID"])  # a stale cache pointing at a blocked GL
        body = invoice_event(109, 1, [("10", "1", "21", "")])
        with pytest.raises(ExactRejected) as info:
            ready.process(body, meta(body))
        (failed,) = info.value.results  # type: ignore[attr-defined]
        assert failed.type == "export.failed"
        assert failed.body["data"]["exact_message"]
        assert failed.body["data"]["hostfact_code"] == "F2026-0109"
        binding = store.get_binding(INSTALLATION, "invoice", "109")
        assert binding is not None
        assert binding.state == "failed"
        assert entries(control) == []

    def test_stale_gl_reference_is_refreshed_once(
        self, ready: Processor, control: SandboxControl, store: Store
    ) -> None:
        """A cached GUID Exact does not know: 'Ongeldige referentie' -> cache refreshed, retried."""
        store.cache_put(DIV, "gl", "8010", "0b0b0b0b-0000-0000-0000-000000000000")
        run(ready, invoice_event(110, 1))
        (entry,) = entries(control)
        gl = {g["ID"]: g["Code"] for g in control.table("financial/GLAccounts")}
        assert [gl[x["GLAccount"]] for x in lines_of(control, entry["EntryID"])] == ["8010"]

    def test_unsent_invoice_is_never_exported(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """A change of an invoice still in the queue (status 1) books nothing."""
        body = invoice_event(111, 1, event_type="invoice.changed", Status="1")
        assert run(ready, body).status == "ignored"
        assert entries(control) == []


class TestInvoiceChanges:
    def test_change_while_open_updates_header_and_lines(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """invoice.changed on an open entry: header PUT, lines replaced, totals follow."""
        run(ready, invoice_event(201, 1, [("100", "1", "21", "P0001"), ("50", "1", "21", "")]))
        changed = invoice_event(201, 1, [("100", "1", "21", "P0001"), ("80", "1", "9", "")],
                                event_type="invoice.changed", Description="corrected",
                                Modified="2026-11-29 10:00:00",
                                occurred_at=T0 + dt.timedelta(days=1))
        outcome = run(ready, changed)
        assert outcome.status == "done"
        assert outcome.details["entry"] == "changed"
        (entry,) = entries(control)
        lines = lines_of(control, entry["EntryID"])
        assert sorted(money(x["AmountFC"]) for x in lines) == [Decimal("80.00"),
                                                                Decimal("100.00")]
        assert money(entry["AmountFC"]) == Decimal("208.20")  # 180 + 21 + 7.20
        assert run(ready, changed).status == "duplicate"

    def test_change_after_processing_is_reported_not_booked(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """Once the accountant processed the entry (50): export.failed, nothing booked twice."""
        first = run(ready, invoice_event(202, 1))
        control.post("process", {"division": DIV})
        changed = invoice_event(202, 1, [("120", "1", "21", "P0001")],
                                event_type="invoice.changed", Modified="2026-11-29 10:00:00",
                                occurred_at=T0 + dt.timedelta(days=1))
        outcome = run(ready, changed)
        (result,) = outcome.results
        assert result.type == "export.failed"
        assert "processed" in result.body["data"]["reason"]
        assert first.results[0].body["data"]["entry_number"] in result.body["data"]["reason"]
        (entry,) = entries(control)
        assert money(entry["AmountFC"]) == Decimal("121.00")
        again = run(ready, changed)
        assert again.status == "duplicate"
        assert again.results[0].message_id == result.message_id

    def test_change_of_an_unexported_invoice_books_it(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """Order does not matter: a change arriving first books the invoice."""
        body = invoice_event(203, 1, event_type="invoice.changed")
        assert run(ready, body).details["entry"] == "created"
        assert len(entries(control)) == 1
        assert run(ready, invoice_event(203, 1)).status == "duplicate"


class TestPurchases:
    def test_purchase_invoice_becomes_an_open_purchase_entry(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """Supplier made from the snapshot; YourRef = supplier's number; CF code in text."""
        outcome = run(ready, purchase_event(501, 3, [("250.00", "4", "21"), ("75.50", "1", "21")]))
        assert outcome.status == "done"
        (supplier,) = accounts(control)
        assert supplier["IsSupplier"] is True
        (entry,) = entries(control, "purchaseentry/PurchaseEntries")
        assert entry["Supplier"] == supplier["ID"]
        assert entry["Journal"] == "60"
        assert entry["YourRef"] == "SUP-501"
        assert "CF0501" in entry["Description"]
        assert money(entry["AmountFC"]) == Decimal("1301.36")
        assert money(entry["VATAmountFC"]) == Decimal("225.86")
        lines = lines_of(control, entry["EntryID"], "purchaseentry/PurchaseEntryLines")
        gl = {g["ID"]: g["Code"] for g in control.table("financial/GLAccounts")}
        assert {gl[x["GLAccount"]] for x in lines} == {"4010"}  # creditor group Datacenter
        assert {x["VATCode"].strip() for x in lines} == {"3"}
        assert run(ready, purchase_event(501, 3, [("250.00", "4", "21"),
                                                  ("75.50", "1", "21")])).status == "duplicate"


class TestDirectDebit:
    def test_batch_waits_for_its_invoices_then_matches_them(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """The batch waits (transient) until every invoice is booked, then matches them all."""
        batch = batch_event("SDD20261205", [(301, 1, "121.00"), (302, 2, "60.50")])
        run(ready, invoice_event(301, 1, Authorisation="yes"))
        with pytest.raises(WaitingForDependency, match="F2026-0302"):
            ready.process(batch, meta(batch))
        run(ready, invoice_event(302, 2, [("50", "1", "21", "")], Authorisation="yes"))
        outcome = run(ready, batch)
        assert outcome.status == "done"
        (entry,) = entries(control, "generaljournalentry/GeneralJournalEntries")
        assert entry["JournalCode"] == "90"
        lines = [x for x in control.table("generaljournalentry/GeneralJournalEntryLines")
                 if x["EntryID"] == entry["EntryID"]]
        gl = {g["ID"]: g["Code"] for g in control.table("financial/GLAccounts")}
        assert sorted((gl[x["GLAccount"]], money(x["AmountFC"])) for x in lines) == [
            ("1105", Decimal("181.50")), ("1300", Decimal("-121.00")),
            ("1300", Decimal("-60.50"))]
        invoices = {t["YourRef"]: t for t in control.table("ledger/terms")
                    if t.get("_role") == "invoice"}
        assert invoices["F2026-0301"]["Status"] == 50  # matched at once
        assert invoices["F2026-0302"]["Status"] == 50
        assert run(ready, batch).status == "duplicate"

    def test_reversal_reopens_the_customers_part(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """sdd.reversed: the customer owes the amount again; the intermediate is credited."""
        run(ready, invoice_event(311, 1, Authorisation="yes"))
        reversal = reversal_event("SDD20261206", 311, 1, "121.00")
        with pytest.raises(WaitingForDependency):
            ready.process(reversal, meta(reversal))  # the batch is not booked yet
        run(ready, batch_event("SDD20261206", [(311, 1, "121.00")]))
        outcome = run(ready, reversal)
        assert outcome.status == "done"
        journal = entries(control, "generaljournalentry/GeneralJournalEntries")
        assert len(journal) == 2
        customer = accounts(control)[0]["ID"]
        open_items = [t for t in control.table("ledger/terms")
                      if t.get("Status") == 20 and t.get("Account") == customer]
        assert sum(money(r["AmountFC"]) for r in open_items) == Decimal("121.00")
        assert run(ready, reversal).status == "duplicate"

    def test_batch_that_landed_before_a_crash_is_adopted(
        self, ready: Processor, control: SandboxControl
    ) -> None:
        """A journal entry has no YourRef: it is found again by its first line."""
        run(ready, invoice_event(321, 1, Authorisation="yes"))
        control.fault("POST", f"/api/v1/{DIV}/generaljournalentry/GeneralJournalEntries",
                      action="commit_then_drop")
        batch = batch_event("SDD20261207", [(321, 1, "121.00")])
        with pytest.raises(TransientError):
            ready.process(batch, meta(batch))
        assert retry_after_the_window(ready, batch).details["entry"] == "adopted"
        assert len(entries(control, "generaljournalentry/GeneralJournalEntries")) == 1


class TestDivisions:
    def test_second_division_flows_while_the_first_is_out_of_budget(
        self, ready: Processor, control: SandboxControl, store: Store
    ) -> None:
        """Division 1 out of minute budget -> RateLimited for it only; division 2 books."""
        control.post("limits", {"minutely": 3, "reset_counters": True})
        run(ready, envelope("debtor.upserted", debtor_data(1)))
        limited = waiting = None
        for n in range(401, 410):
            body = invoice_event(n, 1)
            try:
                ready.process(body, meta(body))
            except RateLimited as exc:
                limited, waiting = exc, body
                break
        assert limited is not None
        assert waiting is not None
        assert limited.division == DIV
        assert limited.retry_at > 0
        other = invoice_event(450, 1, installation=OTHER)
        outcome = run(ready, other)
        assert outcome.status == "done"
        assert len(entries(control, division=DIV2)) == 1
        # once the budget is back, the waiting invoice costs one call: nothing to look up,
        # because the refused call never reached Exact
        control.post("limits", {"minutely": 1000, "reset_counters": True})
        spent = store.get_budget(DIV)
        assert spent is not None
        assert spent.minute_reset_at is not None
        store.record_budget(DIV, Budget(minute_limit=1000, minute_remaining=999,
                                        minute_reset_at=spent.minute_reset_at + 60))  # next minute
        calls = control.calls()
        assert run(ready, waiting).details["entry"] == "created"
        assert control.calls() - calls == 1


class TestWiring:
    def test_build_processor_from_settings(
        self, settings: Settings, store: Store, control: SandboxControl
    ) -> None:
        """build_processor opens the store and an Exact client from the settings alone."""
        log_in(settings, store)
        built = build_processor(settings)
        try:
            outcome = run(built, envelope("settings.changed", settings_data()))
            assert outcome.results[0].body["data"]["valid"] is True
            assert control.calls() >= 4  # master data really read from the sandbox
        finally:
            built.close()
