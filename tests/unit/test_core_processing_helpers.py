"""The processor's pure edges: input checks, record identity, versions, result messages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from hfexact.config import Settings
from hfexact.contract import parse_event, validate_result
from hfexact.errors import ContractError, ExactRejected, TranslationError
from hfexact.handlers.context import version_of
from hfexact.handlers.results import message_id, numeric_id
from hfexact.processing import Processor, record_identity
from hfexact.processing_types import MessageMeta

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "valid"


def example(kind: str, name: str) -> bytes:
    return (EXAMPLES / kind / f"{name}.json").read_bytes()


class Unreachable:
    """Stands in for the store and Exact where a test proves they are never touched."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} must not be used here")


def processor() -> Processor:
    return Processor(Settings(exact_division=123456), Unreachable(), Unreachable())  # type: ignore[arg-type]


class TestInputChecks:
    def test_wrong_content_type_is_a_contract_error(self) -> None:
        """A text/plain delivery is refused before anything is parsed or looked up."""
        with pytest.raises(ContractError) as info:
            processor().process(b"{}", MessageMeta(content_type="text/plain"))
        assert "content_type" in info.value.messages  # type: ignore[operator]

    @pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[]", b'{"type": "x"}'])
    def test_malformed_bodies_are_contract_errors(self, body: bytes) -> None:
        """Malformed JSON, bad UTF-8 and unknown types never crash: ContractError."""
        with pytest.raises(ContractError):
            processor().process(body, MessageMeta())

    def test_oversized_body_is_refused(self) -> None:
        """Over the configured maximum: refused on size alone."""
        big = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'
        with pytest.raises(ContractError, match="limit"):
            processor().process(big, MessageMeta())

    def test_result_messages_are_not_events(self) -> None:
        """An export.succeeded on the event queue is refused, not processed."""
        with pytest.raises(ContractError):
            processor().process(example("export.succeeded", "invoice-booked"), MessageMeta())

    def test_unknown_installation_is_permanent(self) -> None:
        """An installation without a division is a permanent error naming it."""
        p = Processor(Settings(), Unreachable(), Unreachable())  # type: ignore[arg-type]
        body = example("debtor.upserted", "dutch-bv-with-vat-and-kvk")
        with pytest.raises(TranslationError, match="hf-main"):
            p.process(body, MessageMeta())


class TestIdentity:
    @pytest.mark.parametrize(("kind", "name", "expected"), [
        ("debtor.upserted", "dutch-bv-with-vat-and-kvk", ("debtor", "17", "DB0017")),
        ("creditor.upserted", "dutch-datacenter", ("creditor", "3", "CD0003")),
        ("invoice.issued", "credit-invoice-status-8", None),
        ("purchase_invoice.received", "dutch-datacenter-21-percent",
         ("purchase_invoice", "501", "CF0501")),
        ("sdd_batch.downloaded", "one-invoice", ("sdd_batch", "SDD20261205", "SDD20261205")),
    ])
    def test_record_identity(self, kind: str, name: str, expected: tuple[str, ...] | None) -> None:
        """Every event names the HostFact record it is about (kind, id, code)."""
        env = parse_event(example(kind, name))
        got = record_identity(env)
        if expected is None:
            assert got[0] == "invoice"
            assert got[2] == env.raw["data"]["InvoiceCode"]
        else:
            assert got == expected


class TestVersions:
    def test_later_modified_is_newer(self) -> None:
        """HostFact's Modified orders versions first."""
        t = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
        old = version_of(dt.datetime(2026, 11, 28, 10), t + dt.timedelta(hours=5))
        new = version_of(dt.datetime(2026, 11, 28, 11), t)
        assert old < new

    def test_same_modified_falls_back_to_event_time(self) -> None:
        """Equal Modified: the later event wins; offsets are normalised to UTC."""
        m = dt.datetime(2026, 11, 28, 10)
        a = version_of(m, dt.datetime(2026, 11, 28, 15, 0, tzinfo=dt.timezone(dt.timedelta(
            hours=1))))
        b = version_of(m, dt.datetime(2026, 11, 28, 14, 30, tzinfo=dt.UTC))
        assert a < b  # 14:00 UTC before 14:30 UTC

    def test_missing_modified_sorts_first(self) -> None:
        """A version without Modified never overrides one that has it."""
        t = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
        assert version_of(None, t + dt.timedelta(days=9)) < version_of(dt.datetime(2020, 1, 1), t)


class TestResults:
    def test_message_ids_are_deterministic_and_distinct(self) -> None:
        """Same effect, same id; another state or record, another id."""
        a = message_id("export.succeeded", "hf-main", "invoice", "9301", "booked")
        assert a == message_id("export.succeeded", "hf-main", "invoice", "9301", "booked")
        assert a != message_id("export.succeeded", "hf-main", "invoice", "9302", "booked")
        assert a != message_id("export.failed", "hf-main", "invoice", "9301", "booked")

    def test_numeric_id_of_a_batch(self) -> None:
        """HostFact ids are digits; a batch id gives its digits."""
        assert numeric_id("SDD20261205") == "20261205"
        assert numeric_id("17") == "17"
        assert numeric_id("X") == "0"

    def test_failure_results_for_a_translation_error(self) -> None:
        """A permanent failure becomes export.failed, valid and with a stable id per event."""
        p = processor()
        body = example("invoice.issued", "dutch-bv-multiline-21-and-9-direct-debit")
        error = TranslationError("no VAT code configured for 6%", hint="add it")
        (first,) = p.failure_results(body, error)
        (again,) = p.failure_results(body, error)
        validate_result(first.body)
        assert first.message_id == again.message_id
        data = first.body["data"]
        assert data["kind"] == "invoice"
        assert data["reason"] == "no VAT code configured for 6% (add it)"
        assert data["exact_message"] == ""
        assert data["division"] == "123456"

    def test_failure_results_carry_exacts_message(self) -> None:
        """An Exact rejection keeps Exact's own (Dutch) text next to the reason."""
        body = example("purchase_invoice.received", "dutch-datacenter-21-percent")
        error = ExactRejected("Exact refused the purchase entry", status=500,
                              exact_message="Ongeldige referentie: Btw-code")
        (failed,) = processor().failure_results(body, error)
        assert failed.body["data"]["exact_message"] == "Ongeldige referentie: Btw-code"

    def test_failed_settings_answer_settings_validated(self) -> None:
        """A settings.changed that cannot be checked is answered valid=false with the reason."""
        body = example("settings.changed", "design-defaults")
        error = ExactRejected("Exact refused the request", status=403,
                              exact_message="Forbidden - WrongDivision")
        (result,) = processor().failure_results(body, error)
        assert result.type == "settings.validated"
        assert result.body["data"]["valid"] is False
        assert "WrongDivision" in result.body["data"]["problems"][0]

    def test_contract_errors_have_no_result(self) -> None:
        """A body that is no valid event cannot name a record: no result, only the letter."""
        assert processor().failure_results(b"{}", ContractError({"x": ["y"]})) == ()
        bad = json.dumps({"type": "invoice.issued"}).encode()
        assert processor().failure_results(bad, TranslationError("x")) == ()
