"""The log check of the reliability runs finds what it looks for (so a clean result means it)."""

from __future__ import annotations

import pytest

from tests.reliability.logcheck import problems_in


@pytest.mark.parametrize("line", [
    '{"event": "x", "token": "gAAAAABlq3F2bm9ub3NlbnNlbm9uc2Vuc2U"}',
    'refresh with yIA2!IAAAbm9ub3NlbnNl',
    'code=stampNL001.abcdefghijkl',
    '{"iban": "NL91ABNA0417164300"}',
    'debtor BE68539007547034 paid',
    'mail to admin1001@klant.example',
    'the secret is hfx-secret-abc',
])
def test_each_kind_of_leak_is_found(line: str) -> None:
    assert problems_in(line, ["hfx-secret-abc"])


def test_redacted_lines_pass() -> None:
    line = ('{"email": "<redacted>", "reason": "IBAN <iban> of <email>", "authorization": "***",'
            ' "hostfact_code": "DB0001", "exact_id": "8c40386c-eb59-4660-b66c-6e525b061aee"}')
    assert problems_in(line, ["hfx-secret-abc"]) == []
