"""Log lines never carry secrets or personal data."""

from __future__ import annotations

import io
import json

import pytest

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
