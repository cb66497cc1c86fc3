# ruff: noqa: F811  (pytest fixtures are imported by name and then requested as arguments)
"""The processor against the Exact sandbox and a real store (SQLite and PostgreSQL).

Every numbered effect of the worker issue, exactly once: ``Processor.process()`` is called
directly with event bodies (the AMQP loop has its own tests); the sandbox's state shows what
landed in Exact and its counters how many calls it cost.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tests.integration.test_processing_samples import (  # noqa: F401 (fixtures)
    DIV,
    INSTALLATION,
    SandboxControl,
    client,
    control,
    creditor_data,
    debtor_data,
    envelope,
    meta,
    open_stores,
    pg_database,
    processor,
    ready,
    sandbox,
    settings,
    settings_data,
    store,
    store_url,
)

from hfexact.contract import validate_result
from hfexact.errors import TransientError, TranslationError, WaitingForDependency
from hfexact.processing import Processor
from hfexact.store import Store

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
        outcome = run(ready, body)
        assert outcome.status == "done"
        assert outcome.details["account"] == "adopted"
        (account,) = accounts(control)
        assert outcome.exact_id == account["ID"]


class TestCreditors:
    def test_creditor_becomes_a_supplier(self, ready: Processor, control: SandboxControl) -> None:
        """creditor.upserted -> IsSupplier, creditor mask 2###."""
        outcome = run(ready, envelope("creditor.upserted", creditor_data(3)))
        assert outcome.status == "done"
        (account,) = accounts(control)
        assert account["IsSupplier"] is True
        assert account["Code"].strip() == "2003"
        assert account["Status"] in (None, "", "A")


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
