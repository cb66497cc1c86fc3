"""advice: each kind of failure gets a next step in plain English; Exact's words pass through."""

from __future__ import annotations

import pytest

from hfexact.advice import Advice, Facts, advise, division_from_endpoint, for_error
from hfexact.errors import ContractError, ExactRejected, TranslationError, WaitingForDependency


def rejected(message: str, *, status: int = 500, **kw: object) -> Facts:
    endpoint = "POST 123456/salesentry/SalesEntries"
    return Facts(kind="exact_rejected", reason=f"Exact rejected {endpoint}: {message}",
                 messages={"status": status, "endpoint": endpoint, "exact_message": message},
                 letter_id="abc-1", division=123456, hostfact_code="F0042",
                 event_type="invoice.issued", **kw)  # type: ignore[arg-type]


class TestExactMessages:
    @pytest.mark.parametrize(("message", "words"), [
        ("Ongeldige referentie: Btw-code", ["VAT code", "invoice F0042", "division 123456",
                                            "settings page"]),
        ("Invalid reference: Journals", ["journal", "settings page"]),
        ("Ongeldige referentie: Journals", ["journal"]),
        ("Verplicht: Betalingsconditie", ["payment condition", "requires"]),
        ("Mandatory: Diary", ["journal", "requires"]),
        ("Verplicht: Factuur voor\r\nVerplicht: Besteld door", ["customer account"]),
        ("Ongeldig: Grootboekrekeningtype", ["wrong type", "profit-and-loss"]),
        ("Niet toegestaan: Btw-code", ["not allowed in this journal"]),
        ("Ongeldig: Btw-percentage []", ["percentage"]),
        ("Blocked: Ledger account: 85071 - Omzet oud", ["GL account 85071 is blocked"]),
        ("Periode is afgesloten: 2026 - 11", ["period", "closed", "accountant"]),
    ])
    def test_each_message_gets_its_next_step_and_is_passed_through(
        self, message: str, words: list[str]
    ) -> None:
        """The advice names the problem in English and keeps Exact's text as Exact wrote it."""
        advice = advise(rejected(message))
        text = advice.text("abc-1")
        for word in words:
            assert word in text
        assert advice.exact_message == message
        assert f'Exact said: "{message}"' in text
        assert "`hfexact dlq replay abc-1`" in text

    def test_entry_number_in_use_asks_to_check_before_replaying(self) -> None:
        """A used entry number may mean HostFact booked it already: look first, maybe purge."""
        text = advise(rejected("In gebruik: Boekstuknummer")).text("abc-1")
        assert "already has an entry with this entry number" in text
        assert "HostFact's own Exact export" in text
        assert "`hfexact dlq purge abc-1`" in text

    def test_existing_key_mentions_the_code_mask(self) -> None:
        """``Bestaat reeds`` (a duplicate account code) points at the mask or the duplicate."""
        text = advise(rejected("Bestaat reeds: Code")).text("abc-1")
        assert "code mask" in text

    def test_already_processed_is_not_replayed(self) -> None:
        """``Reeds verwerkt``: nothing to book any more, so no replay but a purge."""
        advice = advise(rejected("Reeds verwerkt"))
        assert "replay" not in advice.next_step("abc-1")
        assert "`hfexact dlq purge abc-1`" in advice.next_step("abc-1")

    def test_division_access_names_the_login_command(self) -> None:
        """A 403 for the division tells how to log in for it."""
        facts = rejected("NoDivisionAccess: Forbidden - User division is not within division "
                         "scope", status=403)
        assert "hfexact auth login --division 123456" in advise(facts).text()

    def test_unknown_message_still_gets_a_step_and_exacts_text(self) -> None:
        """An Exact text no rule knows: a generic step, HTTP status, the text untouched."""
        advice = advise(rejected("Iets onbekends is misgegaan"))
        assert "Exact refused invoice F0042 in division 123456 (HTTP 500)" in advice.problem
        assert advice.exact_message == "Iets onbekends is misgegaan"


class TestTranslationErrors:
    def test_missing_gl_account_reads_as_in_the_brief(self) -> None:
        """The model sentence: GL account, division, where to fix it, the replay command."""
        error = TranslationError("GL account 8010 (revenue) does not exist in the Exact division",
                                 hint="fix the export settings or create the GL account in Exact")
        text = for_error(error, division=123456).text("0b8f6d2e")
        assert text.startswith("GL account 8010 does not exist in division 123456: add it in "
                               "Exact or change the revenue mapping (default or per product "
                               "group)")
        assert text.endswith("then `hfexact dlq replay 0b8f6d2e`")

    def test_mask_collision(self) -> None:
        """Two HostFact codes on one Exact code: widen the mask or renumber."""
        error = TranslationError(
            "debtor DB001 maps to Exact account code 1001, which is already used by debtor "
            "DB0001: both HostFact codes end in the same digits under the mask",
            hint="widen the number mask or renumber one of them in HostFact")
        advice = for_error(error)
        assert "DB001" in advice.problem
        assert "DB0001" in advice.problem
        assert "widen the code mask" in advice.action

    def test_missing_vat_mapping(self) -> None:
        error = TranslationError("no VAT codes configured for 6% (settings vat_codes has rates "
                                 "['0', '21', '9'])", hint="add the rate to vat_codes")
        assert "add the rate to the VAT codes" in for_error(error).action

    def test_concept_invoice_is_purged_not_replayed(self) -> None:
        error = TranslationError("invoice [concept]0001 is a concept and is never exported")
        advice = for_error(error, event_type="invoice.issued", hostfact_code="[concept]0001")
        assert "purge" in advice.next_step("x")
        assert "replay" not in advice.next_step("x")

    def test_unknown_translation_error_uses_its_hint(self) -> None:
        """A translation error without a rule: its own message and hint are the advice."""
        error = TranslationError("something new went wrong", hint="do the obvious thing")
        advice = for_error(error)
        assert advice.problem == "something new went wrong"
        assert advice.action == "do the obvious thing"


class TestOtherKinds:
    def test_contract_error_lists_the_fields(self) -> None:
        error = ContractError({"data": {"InvoiceCode": ["Missing data for required field."]}})
        advice = for_error(error, event_type="invoice.issued")
        assert "data.InvoiceCode: Missing data for required field." in advice.problem
        assert "php-bridge" in advice.action

    def test_crash_says_it_is_a_bug_and_how_to_report_it(self) -> None:
        advice = advise(Facts(kind="crash", reason="unexpected error: KeyError: 'x'",
                              letter_id="L1"))
        assert "bug" in advice.action
        assert "`hfexact dlq show L1 --body`" in advice.action

    def test_gave_up_after_attempts(self) -> None:
        advice = advise(Facts(kind="transient", reason="gave up after 8 attempts: Exact failed "
                                                        "on GET x (HTTP 503): no body"))
        assert advice.problem.startswith("gave up after 8 attempts")
        assert "hfexact status" in advice.action

    def test_waiting_for_settings(self) -> None:
        error = WaitingForDependency("the export settings of installation 'hf-main' are "
                                     "invalid: journal 71 does not exist")
        assert "settings page" in for_error(error).action

    def test_broker_delivery_limit(self) -> None:
        advice = advise(Facts(kind="delivery_limit", reason="the broker dead-lettered it"))
        assert "journalctl" in advice.action

    def test_unknown_kind_never_raises(self) -> None:
        advice = advise(Facts(kind="something", reason="", messages=["odd"]))
        assert isinstance(advice, Advice)
        assert advice.problem == "the event failed (something)"


def test_for_error_takes_the_division_from_exacts_endpoint() -> None:
    """An ExactRejected carries its endpoint; the division is read from it."""
    error = ExactRejected("Exact rejected it", status=500,
                          exact_message="Ongeldige referentie: Btw-code",
                          endpoint="POST 234567/salesentry/SalesEntries")
    assert "division 234567" in for_error(error).problem
    assert division_from_endpoint("GET current/Me") is None


class _Untouched:
    """Store and Exact client for a processor that must not reach either."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"{name} was used")


def test_export_failed_reason_for_an_exact_rejection_is_advice() -> None:
    """The processor's export.failed reason says what to do; Exact's text stays beside it."""
    import json
    from pathlib import Path

    from hfexact.config import Settings
    from hfexact.processing import Processor

    path = (Path(__file__).resolve().parents[2] / "schemas" / "examples" / "valid"
            / "invoice.issued" / "dutch-bv-multiline-21-and-9-direct-debit.json")
    body = path.read_bytes()
    event = json.loads(body)
    processor = Processor(Settings(exact_division=123456), _Untouched(), _Untouched())  # type: ignore[arg-type]
    error = ExactRejected("Exact rejected POST 123456/salesentry/SalesEntries: Ongeldige "
                          "referentie: Btw-code", status=500,
                          exact_message="Ongeldige referentie: Btw-code",
                          endpoint="POST 123456/salesentry/SalesEntries")
    (failed,) = processor.failure_results(body, error)
    data = failed.body["data"]
    assert data["exact_message"] == "Ongeldige referentie: Btw-code"
    assert data["reason"].startswith(
        f"Exact does not know the VAT code invoice {event['data']['InvoiceCode']} refers to in "
        f"division 123456: check the VAT codes per rate on the bridge's settings page")
    assert data["reason"].endswith(f"then `hfexact dlq replay {event['id']}`")
