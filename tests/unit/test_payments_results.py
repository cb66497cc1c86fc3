"""Payment results: contract-valid envelopes whose ids depend only on the evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hfexact.contract import validate_result
from hfexact.payments.decide import Payment, Subject
from hfexact.payments.results import result_id, result_message

NOW = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)
SALES = Subject("hf-main", "sales", "9302", "F2026-0102", 123456, "e1", 26700002)
PURCHASE = Subject("hf-main", "purchase", "501", "CF0501", 123456, "e2", None)


def matched(generation: int = 0) -> Payment:
    return Payment("payment.matched", Decimal("0"), generation, Decimal("121"),
                   dt.date(2026, 12, 3))


def partial(amount: str, open_: str) -> Payment:
    return Payment("payment.partial", Decimal(open_), 0, Decimal(amount), dt.date(2026, 12, 1))


class TestResults:
    def test_every_type_validates(self) -> None:
        """matched, partial and reopened, sales and purchase, satisfy schemas/."""
        reopened = Payment("payment.reopened", Decimal("121"), 1, reason="unmatched")
        for subject in (SALES, PURCHASE):
            for payment in (matched(), partial("50", "71"), reopened):
                message = result_message(subject, payment, NOW)
                validate_result(message.body)
                assert message.body["id"] == message.message_id
                assert message.type == payment.type

    def test_money_as_two_decimal_strings(self) -> None:
        """Amounts travel as decimal strings with two decimals."""
        data = result_message(SALES, partial("50", "71"), NOW).body["data"]
        assert (data["amount"], data["amount_open"], data["pay_date"]) == (
            "50.00", "71.00", "2026-12-01")
        assert data["entry_number"] == "26700002"

    def test_same_evidence_same_id(self) -> None:
        """Ids do not depend on when the result is built."""
        later = NOW + dt.timedelta(hours=5)
        assert result_message(SALES, matched(), NOW).message_id == result_message(
            SALES, matched(), later).message_id

    def test_ids_distinguish_what_matters(self) -> None:
        """Two partials of the same amount, a match after a reopening, another invoice or
        installation: all different ids."""
        other_invoice = Subject("hf-main", "sales", "9303", "F2026-0103", 123456, "e3", 1)
        other_installation = Subject("hf-two", "sales", "9302", "F2026-0102", 123456, "e1", 1)
        ids = {
            result_id(SALES, partial("50", "71")),
            result_id(SALES, partial("50", "21")),
            result_id(SALES, matched(0)),
            result_id(SALES, matched(1)),
            result_id(other_invoice, matched(0)),
            result_id(other_installation, matched(0)),
            result_id(PURCHASE, matched(0)),
        }
        assert len(ids) == 7
