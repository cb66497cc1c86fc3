"""Exact's OData dialect: dates, literals, padded codes, envelopes and request bodies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from hfexact.exact import odata


class TestDates:
    def test_parse_exact_date(self) -> None:
        """``/Date(ms)/`` is UTC milliseconds since the epoch."""
        assert odata.parse_date("/Date(1392224884577)/") == datetime(
            2014, 2, 12, 17, 8, 4, 577000, tzinfo=UTC)
        assert odata.parse_date("/Date(0)/") == datetime(1970, 1, 1, tzinfo=UTC)

    def test_parse_with_offset_and_negative(self) -> None:
        """The optional offset suffix is ignored (the number is UTC); pre-1970 dates work."""
        assert odata.parse_date("/Date(86400000+0100)/") == datetime(1970, 1, 2, tzinfo=UTC)
        assert odata.parse_date("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)

    def test_parse_iso_and_empty(self) -> None:
        """ISO 8601 values are accepted too; None and empty stay None."""
        assert odata.parse_date("2024-05-01T00:00:00Z") == datetime(2024, 5, 1, tzinfo=UTC)
        assert odata.parse_date(None) is None
        assert odata.parse_date("") is None
        assert odata.parse_day("/Date(1717113600000)/") == date(2024, 5, 31)

    def test_parse_garbage(self) -> None:
        """Something that is no date is an error, not a silent None."""
        with pytest.raises(ValueError, match="not an Exact date"):
            odata.parse_date("/Date(abc)/")

    def test_format_and_round_trip(self) -> None:
        """Dates are sent as ISO 8601 UTC; to_exact_date is parse_date's inverse."""
        assert odata.format_date(date(2024, 5, 1)) == "2024-05-01T00:00:00Z"
        assert odata.format_date(datetime(2024, 5, 1, 12, 30)) == "2024-05-01T12:30:00Z"
        moment = datetime(2026, 11, 28, 14, 4, 5, tzinfo=UTC)
        assert odata.parse_date(odata.to_exact_date(moment)) == moment
        assert odata.to_exact_date(date(2024, 5, 31)) == "/Date(1717113600000)/"


class TestLiterals:
    def test_quote_doubles_single_quotes(self) -> None:
        """Strings are single-quoted with embedded quotes doubled."""
        assert odata.quote("F2026-0001") == "'F2026-0001'"
        assert odata.quote("O'Brien & Zn's") == "'O''Brien & Zn''s'"
        assert odata.quote("") == "''"

    def test_guid(self) -> None:
        """GUID literals are normalised and checked."""
        assert odata.guid("EB7F1A2C-0000-4000-8000-000000000600") == (
            "guid'eb7f1a2c-0000-4000-8000-000000000600'")
        with pytest.raises(ValueError, match="not a GUID"):
            odata.guid("1' or 1 eq 1")

    def test_entity_path(self) -> None:
        """A single entity URL segment for PUT and DELETE."""
        assert odata.entity_path("crm/Accounts", "eb7f1a2c-0000-4000-8000-000000000600") == (
            "crm/Accounts(guid'eb7f1a2c-0000-4000-8000-000000000600')")

    def test_datetime_literal(self) -> None:
        """``datetime'…'`` literals for dates and (UTC) times."""
        assert odata.datetime_literal(date(2015, 1, 1)) == "datetime'2015-01-01'"
        assert odata.datetime_literal(datetime(2015, 1, 1, 10, tzinfo=UTC)) == (
            "datetime'2015-01-01T10:00:00'")


class TestCodes:
    def test_pad_code_to_18(self) -> None:
        """Account codes are right-aligned in 18 characters, as Exact stores and filters them."""
        assert odata.pad_code("255") == "               255"
        assert len(odata.pad_code(1001)) == 18
        assert odata.pad_code("  1001 ") == odata.pad_code("1001")
        assert odata.pad_code("123456789012345678") == "123456789012345678"

    def test_pad_code_refuses_bad_codes(self) -> None:
        """Empty or over-long codes are refused rather than truncated."""
        with pytest.raises(ValueError, match="empty"):
            odata.pad_code("  ")
        with pytest.raises(ValueError, match="longer than 18"):
            odata.pad_code("1234567890123456789")

    def test_unpad(self) -> None:
        """Fixed-width codes read back without padding."""
        assert odata.unpad("NL ") == "NL"
        assert odata.unpad("               255") == "255"
        assert odata.unpad(None) is None


class TestEnvelopes:
    def test_results_shapes(self) -> None:
        """Both ``{"d": {"results": []}}`` and ``{"d": []}`` give the records."""
        assert odata.results({"d": {"results": [{"ID": 1}]}}) == [{"ID": 1}]
        assert odata.results({"d": [{"ID": 2}]}) == [{"ID": 2}]
        assert odata.results({"d": {"ID": 3}}) == [{"ID": 3}]
        with pytest.raises(ValueError, match="not an OData envelope"):
            odata.results({"value": []})

    def test_next_link(self) -> None:
        """``__next`` is returned as Exact gave it; absent on the last page."""
        url = "https://start.exactonline.nl/api/v1/1/read/financial/ReceivablesList?$skiptoken=x"
        assert odata.next_link({"d": {"results": [], "__next": url}}) == url
        assert odata.next_link({"d": {"results": []}}) is None
        assert odata.next_link({"d": []}) is None

    def test_entity(self) -> None:
        """A POST answer is one entity under ``d``."""
        assert odata.entity({"d": {"EntryID": "x"}}) == {"EntryID": "x"}
        with pytest.raises(ValueError, match="entity"):
            odata.entity({"d": [1]})


class TestBodies:
    def test_decimals_are_exact_numbers(self) -> None:
        """Money goes out as JSON numbers with exactly its digits, never through float."""
        body = odata.dumps({"AmountFC": Decimal("0.10"), "Lines": [{"Q": Decimal("-3")}],
                            "Big": Decimal("12345678901234567.89"), "Text": "5 x '€'"})
        assert '"AmountFC": 0.10' in body
        assert '"Big": 12345678901234567.89' in body
        assert json.loads(body, parse_float=Decimal) == {
            "AmountFC": Decimal("0.10"), "Lines": [{"Q": -3}],
            "Big": Decimal("12345678901234567.89"), "Text": "5 x '€'"}

    def test_floats_refused(self) -> None:
        """A float in a body is a programming error: money must be Decimal."""
        with pytest.raises(TypeError, match="Decimal"):
            odata.dumps({"AmountFC": 1.1})

    def test_marker_lookalike_strings_survive(self) -> None:
        """Text that resembles the internal marker is sent unchanged."""
        body = odata.dumps({"a": Decimal("2.50")})
        assert body == '{"a": 2.50}'
        for text in ("\x00hfexact-decimal:1.00\x00", "\x000123456789abcdef:1.00\x00",
                     "\\u0000abc:1\\u0000"):
            assert json.loads(odata.dumps({"t": text, "n": Decimal("1")})) == {"t": text, "n": 1}

    def test_dates_in_bodies(self) -> None:
        """Dates in a body become ISO 8601 timestamps."""
        assert json.loads(odata.dumps({"EntryDate": date(2026, 12, 1)})) == {
            "EntryDate": "2026-12-01T00:00:00Z"}
