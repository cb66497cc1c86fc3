"""Log lines never carry secrets or personal data."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfexact import logs


class TestRedaction:
    @pytest.mark.parametrize(
        ("text", "secret"),
        [
            ("Authorization: Bearer gAAAAabc.def-ghi", "gAAAAabc.def-ghi"),
            ("POST /token refresh_token=yIA2!IAAA&client_secret=shh", "shh"),
            ("mail jan.jansen@example.nl now", "jan.jansen@example.nl"),
            ("iban NL91ABNA0417164300 given", "NL91ABNA0417164300"),
            ("iban NL91 ABNA 0417 1643 00 spaced", "0417 1643"),
            ("phone +31 20 123 4567 call", "123 4567"),
            ("amqp://user:pass@host/vhost", "pass"),
        ],
    )
    def test_text_is_masked(self, text: str, secret: str) -> None:
        """Credentials and personal data inside free text are masked."""
        assert secret not in logs.redact_text(text)

    def test_amounts_and_codes_survive(self) -> None:
        """Invoice codes, dates and amounts are not mistaken for personal data."""
        text = "invoice F2026-0001 dated 2026-11-28 total 121.00 entry 26700001"
        assert logs.redact_text(text) == text

    def test_keys_are_masked_in_nested_values(self) -> None:
        """Secret and personal keys are masked at any depth."""
        out = logs.redact_value("ctx", {"access_token": "abc", "debtor": {"EmailAddress": "a@b.nl",
                                "AccountNumber": "NL91ABNA0417164300", "CompanyName": "ACME"}})
        assert out == {"access_token": "***", "debtor": {"EmailAddress": "<redacted>",
                       "AccountNumber": "<redacted>", "CompanyName": "ACME"}}


def test_json_output_is_redacted() -> None:
    """The configured JSON renderer writes one redacted object per line."""
    buf = io.StringIO()
    logs.configure("json", "info", stream=buf)
    logs.get_logger().info("event.processed", refresh_token="r-tok", note="to a@b.nl")
    line = json.loads(buf.getvalue().strip())
    assert line["event"] == "event.processed"
    assert line["refresh_token"] == "***"
    assert "a@b.nl" not in buf.getvalue()


@pytest.mark.parametrize("phone", ["020-1234567", "0612345678", "+31 6 12345678", "0031201234567"])
def test_dutch_phone_numbers_are_masked(phone: str) -> None:
    """Common Dutch and international phone notations are masked."""
    assert phone not in logs.redact_text(f"call {phone} please")


def test_default_output_follows_the_current_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a stream, a replaced and closed stderr does not break later log lines."""
    first = io.StringIO()
    monkeypatch.setattr("sys.stderr", first)
    logs.configure("json", "info")
    logs.get_logger().info("one")
    first.close()
    second = io.StringIO()
    monkeypatch.setattr("sys.stderr", second)
    logs.get_logger().info("two")
    assert json.loads(second.getvalue())["event"] == "two"


_PIECES = st.sampled_from([
    "Bearer ", "bearer x.y", "access_token=", "code=", "://u:p@", "@", "=", "-", " ", "+31",
    "0031", "06", "NL91ABNA", "0417164300", "jan.jansen", "example.nl", "F2026-", "٣", "é",
    "411d22b4-8047-40b7-96e0-263a5e4333e0", "invoice.issued", "DE89", "0",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=6), max_size=8).map("".join))
def test_the_shortcut_never_changes_what_is_masked(text: str) -> None:
    """Values the quick check lets through unscanned are exactly those no pattern changes."""
    assert logs.redact_text(text) == logs._redact_all(text)
    if logs._nothing_to_mask(text):
        assert logs._redact_all(text) == text


@pytest.mark.parametrize("value", ["411d22b4-8047-40b7-96e0-263a5e4333e0", "invoice.issued",
                                   "done", "hfexact.worker"])
def test_ids_and_names_skip_the_scan(value: str) -> None:
    assert logs._nothing_to_mask(value)
    assert not logs._nothing_to_mask("mail jan@example.nl")
    assert not logs._nothing_to_mask("+31 20 123 4567")
