"""parse_event's order of checks, its field-keyed messages, and validate_result."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hfexact.contract import check_result, parse_event, validate_result
from hfexact.contract.domain import EVENT_TYPES, RESULT_TYPES
from hfexact.contract.jsonschema_check import errors_by_field
from hfexact.errors import ContractError, PermanentError
from tests.contract.examples import VALID, example, invalid


def messages(body: bytes, **kwargs: Any) -> Any:
    with pytest.raises(ContractError) as caught:
        parse_event(body, **kwargs)
    return caught.value.messages


class TestBeforeTheSchema:
    def test_size_is_checked_before_decoding(self) -> None:
        """An oversized body is refused on its length: even invalid UTF-8 is not looked at."""
        body = b"\xff" * 2_000
        assert "limit is 1000 bytes" in messages(body, max_bytes=1000)["_schema"][0]

    def test_exactly_the_limit_is_allowed(self) -> None:
        """The limit is inclusive: a body of exactly max_bytes is parsed."""
        body = example("debtor.upserted", "dutch-bv-with-vat-and-kvk")
        assert parse_event(body, max_bytes=len(body)).type == "debtor.upserted"
        assert "limit" in messages(body, max_bytes=len(body) - 1)["_schema"][0]

    def test_strict_utf8(self) -> None:
        """Latin-1 bytes are refused, not guessed."""
        assert "Not UTF-8" in messages(invalid("not-utf8-latin1"))["_schema"][0]

    @pytest.mark.parametrize("body", [b"", b"{", b"[1, 2", b'{"a": NaN}', b'{"a": Infinity}'])
    def test_not_json(self, body: bytes) -> None:
        """Truncated JSON and NaN/Infinity are not JSON."""
        assert messages(body)["_schema"][0].startswith("Not JSON")

    @pytest.mark.parametrize("body", [b"[]", b'"invoice.issued"', b"42", b"null"])
    def test_top_level_must_be_an_object(self, body: bytes) -> None:
        assert messages(body) == {"_schema": ["A message is a JSON object."]}

    def test_deep_nesting_is_a_contract_error(self) -> None:
        """A bomb of nested arrays ends as ContractError, not RecursionError."""
        doc = json.loads(example("debtor.upserted", "consumer-unicode-name"))
        body = json.dumps(doc)[:-1].encode() + b', "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        assert messages(body)

    def test_contract_error_is_permanent(self) -> None:
        """The worker dead-letters it: ContractError is a PermanentError."""
        with pytest.raises(PermanentError):
            parse_event(b"{}")


class TestTypeDispatch:
    def test_unknown_type_is_keyed_by_type(self) -> None:
        assert "Unknown type 'debtor.deleted'" in messages(invalid("unknown-type"))["type"][0]

    def test_version_2_is_keyed_by_version(self) -> None:
        assert messages(invalid("version-2")) == {"version": ["Must be 1; got 2."]}

    def test_allowed_types_restricts_what_is_accepted(self) -> None:
        """The worker can refuse results on its event queue."""
        body = example("export.succeeded", "invoice-booked")
        assert "Unknown type" in messages(body, allowed_types=EVENT_TYPES)["type"][0]


class TestFieldKeyedMessages:
    @pytest.mark.parametrize(
        ("name", "path"),
        [
            ("missing-debtorcode", ["data", "DebtorCode"]),
            ("amount-as-float", ["data", "AmountIncl"]),
            ("bad-currency", ["data", "Currency"]),
            ("negative-quantity-on-normal-invoice", ["data", "InvoiceLines", "1", "Number"]),
            ("negative-amount-in-sdd-element", ["data", "Elements", "0", "Amount"]),
            ("wrong-date", ["data", "Date"]),
            ("bad-uuid", ["id"]),
            ("credit-invoice-without-credits", ["related", "credits"]),
            ("number-hidden-in-unnamed-field", ["data", "UsedTaxrates"]),
            ("settings-enabled-as-string", ["data", "enabled", "invoices"]),
            ("unknown-envelope-field", ["priority"]),
        ],
    )
    def test_message_names_the_field(self, name: str, path: list[str]) -> None:
        """The error sits under the offending field's path, with HostFact's key names."""
        node = messages(invalid(name))
        for key in path:
            assert key in node, f"{key} not in {node}"
            node = node[key]
        assert isinstance(node, list)
        assert node
        assert all(isinstance(m, str) for m in node)

    def test_float_is_refused_not_coerced(self) -> None:
        """121.0 as a JSON number is an error that says numbers travel as strings."""
        text = messages(invalid("amount-as-float"))["data"]["AmountIncl"][0]
        assert "JSON numbers are not accepted" in text

    def test_all_problems_are_reported_at_once(self) -> None:
        """Several bad fields give several keys, not just the first."""
        doc = json.loads(example("invoice.issued", "dutch-bv-multiline-21-and-9-direct-debit"))
        doc["data"]["Date"] = "2026-13-01"
        doc["data"]["Currency"] = "eur"
        del doc["related"]["debtor"]
        found = messages(json.dumps(doc).encode())
        assert {"Date", "Currency"} <= set(found["data"])
        assert "debtor" in found["related"]

    def test_messages_are_json_serialisable(self) -> None:
        """Dead-letter headers carry the messages as JSON: list indexes become strings."""
        found = messages(invalid("negative-quantity-on-normal-invoice"))
        assert json.loads(json.dumps(found)) == found


class TestValidateResult:
    def test_valid_result_passes(self) -> None:
        validate_result(json.loads(example("payment.partial", "sales-half-paid")))

    def test_event_is_not_a_result(self) -> None:
        """An event type is refused by validate_result."""
        with pytest.raises(ContractError) as caught:
            validate_result(json.loads(example("debtor.upserted", "consumer-unicode-name")))
        assert "type" in caught.value.messages

    def test_decimal_object_instead_of_string_is_refused(self) -> None:
        """A producer that forgets to stringify money is caught before it publishes."""
        from decimal import Decimal

        doc = json.loads(example("payment.matched", "sales-paid-by-bank"))
        doc["data"]["amount"] = Decimal("5.00")
        with pytest.raises(ContractError) as caught:
            validate_result(doc)
        assert "amount" in caught.value.messages["data"]

    def test_json_schema_is_applied_too(self) -> None:
        """validate_result reports a JSON Schema violation (settings.validated rule)."""
        doc = json.loads(example("settings.validated", "valid"))
        doc["data"]["problems"] = ["Journal 70 is missing."]
        with pytest.raises(ContractError):
            validate_result(doc)


class TestCheckResult:
    """The worker's runtime check of a result (marshmallow, compiled plan first)."""

    @pytest.mark.parametrize("result_type", RESULT_TYPES)
    def test_every_valid_result_example_passes(self, result_type: str) -> None:
        paths = [p for p in VALID if p.parent.name == result_type]
        assert paths
        for path in paths:
            check_result(json.loads(path.read_bytes()))

    def test_event_is_not_a_result(self) -> None:
        with pytest.raises(ContractError) as caught:
            check_result(json.loads(example("debtor.upserted", "consumer-unicode-name")))
        assert "type" in caught.value.messages

    def test_decimal_object_instead_of_string_is_refused_with_marshmallows_message(self) -> None:
        """The compiled plan refuses; marshmallow decides and names the field."""
        from decimal import Decimal

        doc = json.loads(example("payment.matched", "sales-paid-by-bank"))
        doc["data"]["amount"] = Decimal("5.00")
        with pytest.raises(ContractError) as caught:
            check_result(doc)
        assert "amount" in caught.value.messages["data"]

    def test_cross_field_rule_is_applied(self) -> None:
        """settings.validated: problems while valid is true is refused here too."""
        doc = json.loads(example("settings.validated", "valid"))
        doc["data"]["problems"] = ["Journal 70 is missing."]
        with pytest.raises(ContractError):
            check_result(doc)


class TestCancelledBeforePublish:
    def test_issued_invoice_cancelled_before_the_relay_published_it_is_accepted(self) -> None:
        """Status 9 on invoice.issued is valid: the credit note in Exact needs the original."""
        doc = json.loads(example("invoice.issued", "dutch-bv-multiline-21-and-9-direct-debit"))
        doc["data"]["Status"] = "9"
        env = parse_event(json.dumps(doc).encode())
        assert env.data.status == 9
        assert errors_by_field(doc) == {}

    def test_issued_invoice_still_a_concept_is_refused(self) -> None:
        """Status 0 (concept) is never exported."""
        doc = json.loads(example("invoice.issued", "dutch-bv-multiline-21-and-9-direct-debit"))
        doc["data"]["Status"] = "0"
        assert "data.Status" in " ".join(errors_by_field(doc))
        assert "Status" in messages(json.dumps(doc).encode())["data"]


class TestCodeMasks:
    @pytest.mark.parametrize("mask", ["", "1###", "1[0-9][0-9][0-9]", "20###"])
    def test_masks_hostfact_accepts(self, mask: str) -> None:
        """Empty (Exact assigns the code), '#' places and HostFact's '[0-9]' spelling are valid."""
        doc = json.loads(example("settings.changed", _first("settings.changed")))
        doc["data"]["debtor_code_mask"] = mask
        env = parse_event(json.dumps(doc).encode())
        assert env.data.debtor_code_mask == mask
        assert errors_by_field(doc) == {}

    @pytest.mark.parametrize("mask", ["1000", "1##a", "[0-9", "#-#"])
    def test_masks_without_a_place_or_with_junk_are_refused(self, mask: str) -> None:
        """A mask needs at least one digit place and nothing but digits and places."""
        doc = json.loads(example("settings.changed", _first("settings.changed")))
        doc["data"]["debtor_code_mask"] = mask
        assert "debtor_code_mask" in messages(json.dumps(doc).encode())["data"]
        assert errors_by_field(doc) != {}


def _first(kind: str) -> str:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "valid" / kind
    return sorted(root.glob("*.json"))[0].stem
