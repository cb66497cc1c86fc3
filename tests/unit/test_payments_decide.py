"""The payment decision core: Exact's evidence + what was reported -> payment results."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hfexact.payments.decide import (
    REASON_REVERSED,
    REASON_UNMATCHED,
    Reported,
    Subject,
    decide,
)
from hfexact.payments.terms import InvoiceTerms, TermRow

TODAY = dt.date(2026, 12, 10)
ENTRY = "0b8f6d2e-4c1e-4f57-9a63-2d1f0c6a9e11"
_ts = itertools.count(100)


def subject(**over: object) -> Subject:
    base: dict[str, object] = {
        "installation": "hf-main", "kind": "sales", "hostfact_id": "9302",
        "invoice_code": "F2026-0102", "division": 123456, "entry_id": ENTRY,
        "entry_number": 26700002,
    }
    base.update(over)
    return Subject(**base)  # type: ignore[arg-type]


def row(term_id: str, amount: str, *, status: int = 20, total: str | None = "121.00",
        paid_on: dt.date | None = None, ttype: int | None = 20, ts: int | None = None,
        entry: str | None = ENTRY) -> TermRow:
    return TermRow(id=term_id, timestamp=next(_ts) if ts is None else ts, line_type=20,
                   status=status, amount=Decimal(amount),
                   transaction_amount=None if total is None else Decimal(total),
                   transaction_entry_id=entry, invoice_number=26700002,
                   transaction_type=ttype, paid_on=paid_on)


def terms(*own: TermRow, refs: tuple[TermRow, ...] = ()) -> InvoiceTerms:
    result = InvoiceTerms()
    for r in own:
        result = result.apply(r, own=True)
    for r in refs:
        result = result.apply(r, own=False)
    return result


OPEN = terms(row("t0", "121.00"))
PAID = terms(row("t0", "121.00", status=50, paid_on=dt.date(2026, 12, 3)))
HALF = terms(row("t0", "71.00", paid_on=dt.date(2026, 12, 1)),
             row("t1", "50.00", status=50, paid_on=dt.date(2026, 12, 1)))


class TestPosition:
    def test_open_entry(self) -> None:
        """One open piece of the whole amount: complete, nothing paid."""
        pos = OPEN.position()
        assert (pos.complete, pos.total, pos.open, pos.paid) == (
            True, Decimal("121.00"), Decimal("121.00"), Decimal("0.00"))

    def test_split_pieces_add_up(self) -> None:
        """A partial payment splits the term: the matched piece counts as paid."""
        pos = HALF.position()
        assert (pos.complete, pos.open, pos.paid, pos.paid_on) == (
            True, Decimal("71.00"), Decimal("50.00"), dt.date(2026, 12, 1))

    def test_missing_piece_is_incomplete(self) -> None:
        """Only the open rest seen (the matched piece not): no conclusion is possible."""
        pos = terms(row("t0", "71.00")).position()
        assert not pos.complete

    def test_older_row_does_not_override(self) -> None:
        """Rows apply by rowversion: reading an old page again changes nothing."""
        newer = terms(row("t0", "121.00", status=50, ts=500))
        again = newer.apply(row("t0", "121.00", status=20, ts=400), own=True)
        assert again == newer

    def test_receivables_row_forces_present_state(self) -> None:
        """A cashflow/Receivables row (no Timestamp) is the present state and replaces."""
        held = terms(row("t0", "121.00", ts=500))
        now = held.apply(row("t0", "121.00", status=50, ts=0), own=True, force=True)
        assert now.own["t0"].status == 50
        assert now.own["t0"].timestamp == 500

    def test_reversed_direct_debit_raises_the_claim_again(self) -> None:
        """An open debit of another transaction naming the invoice is open again."""
        reversal = row("r1", "121.00", total="121.00", ttype=90, entry="gje")
        pos = terms(row("t0", "121.00", status=50), refs=(reversal,)).position()
        assert (pos.open, pos.reraised, pos.paid) == (
            Decimal("121.00"), Decimal("121.00"), Decimal("0.00"))

    def test_open_payment_on_account_is_not_a_claim(self) -> None:
        """An excess payment (a credit open on the account) does not reopen the invoice."""
        excess = row("p1", "-29.00", total="-150.00", ttype=40, entry="bank")
        pos = terms(row("t0", "121.00", status=50), refs=(excess,)).position()
        assert pos.settled

    def test_credit_note_entry(self) -> None:
        """An entry of type 21 is a credit note."""
        pos = terms(row("t0", "-121.00", total="-121.00", ttype=21)).position()
        assert pos.credit_note
        assert pos.total == Decimal("121.00")

    def test_round_trip_json(self) -> None:
        """The copy survives the store (JSON) unchanged."""
        held = terms(row("t0", "71.00", paid_on=dt.date(2026, 12, 1)),
                     row("t1", "50.00", status=50), refs=(row("p", "-50.00", entry="b"),))
        assert InvoiceTerms.from_json(held.as_json()) == held

    def test_parse_exact_row(self) -> None:
        """Exact's JSON: /Date(ms)/ dates, numbers, GUIDs in any case."""
        parsed = TermRow.from_exact({
            "ID": "ABC", "Timestamp": 7, "LineType": 22, "Status": 50, "AmountDC": 12.1,
            "TransactionAmountDC": 121, "TransactionEntryID": "DEF", "InvoiceNumber": 5,
            "TransactionType": 30, "LastPaymentDate": "/Date(1764547200000)/",
        })
        assert parsed == TermRow("abc", 7, 22, 50, Decimal("12.10"), Decimal("121.00"),
                                 "def", 5, 30, dt.date(2025, 12, 1))


class TestDecide:
    def test_open_invoice_says_nothing(self) -> None:
        """Nothing paid, nothing reported: no result."""
        decision = decide(subject(), OPEN.position(), Reported(), today=TODAY)
        assert decision.payments == ()
        assert decision.reported == Reported()

    def test_full_match(self) -> None:
        """Matched in full: payment.matched with the total and Exact's payment date."""
        decision = decide(subject(), PAID.position(), Reported(), today=TODAY)
        (payment,) = decision.payments
        assert (payment.type, payment.amount, payment.pay_date) == (
            "payment.matched", Decimal("121.00"), dt.date(2026, 12, 3))
        assert decision.reported == Reported("paid", Decimal("121.00"), 0)

    def test_matched_again_is_reported_once(self) -> None:
        """Once paid is reported, the same evidence gives nothing."""
        first = decide(subject(), PAID.position(), Reported(), today=TODAY)
        again = decide(subject(), PAID.position(), first.reported, today=TODAY)
        assert again.payments == ()

    def test_partial_reports_amount_received_now(self) -> None:
        """50 of 121 paid: partial 50 with 71 open."""
        decision = decide(subject(), HALF.position(), Reported(), today=TODAY)
        (payment,) = decision.payments
        assert (payment.type, payment.amount, payment.amount_open) == (
            "payment.partial", Decimal("50.00"), Decimal("71.00"))

    def test_second_partial_is_not_the_running_total(self) -> None:
        """After 50 reported, 30 more: the result says 30, not 80."""
        before = decide(subject(), HALF.position(), Reported(), today=TODAY).reported
        more = terms(row("t0", "41.00"), row("t1", "50.00", status=50),
                     row("t2", "30.00", status=50, paid_on=dt.date(2026, 12, 8)))
        (payment,) = decide(subject(), more.position(), before, today=TODAY).payments
        assert (payment.amount, payment.amount_open, payment.pay_date) == (
            Decimal("30.00"), Decimal("41.00"), dt.date(2026, 12, 8))

    def test_rest_paid_after_partial(self) -> None:
        """The rest paid: matched with the total (HostFact marks it paid)."""
        before = decide(subject(), HALF.position(), Reported(), today=TODAY).reported
        rest = terms(row("t0", "71.00", status=50), row("t1", "50.00", status=50))
        (payment,) = decide(subject(), rest.position(), before, today=TODAY).payments
        assert (payment.type, payment.amount) == ("payment.matched", Decimal("121.00"))

    def test_overpayment_settles_the_open_amount_only(self) -> None:
        """150 paid on 121: matched for 121; the 29 stays a payment on account in Exact."""
        excess = row("p1", "-29.00", total="-150.00", ttype=40, entry="bank")
        matched = row("p2", "-121.00", total="-150.00", ttype=40, entry="bank", status=50)
        paid = terms(row("t0", "121.00", status=50, paid_on=dt.date(2026, 12, 4)),
                     refs=(excess, matched))
        (payment,) = decide(subject(), paid.position(), Reported(), today=TODAY).payments
        assert (payment.type, payment.amount) == ("payment.matched", Decimal("121.00"))

    def test_unmatched_after_paid_reopens(self) -> None:
        """Paid reported, then open in Exact again: payment.reopened, generation 1."""
        paid = decide(subject(), PAID.position(), Reported(), today=TODAY).reported
        decision = decide(subject(), OPEN.position(), paid, today=TODAY)
        (payment,) = decision.payments
        assert (payment.type, payment.amount_open, payment.reason, payment.generation) == (
            "payment.reopened", Decimal("121.00"), REASON_UNMATCHED, 1)
        assert decision.reported == Reported("open", Decimal("0.00"), 1)

    def test_paid_again_after_reopen_is_a_new_result(self) -> None:
        """The second match carries the new generation (so a new message id)."""
        paid = decide(subject(), PAID.position(), Reported(), today=TODAY)
        reopened = decide(subject(), OPEN.position(), paid.reported, today=TODAY)
        again = decide(subject(), PAID.position(), reopened.reported, today=TODAY)
        assert again.payments[0].generation == 1 != paid.payments[0].generation

    def test_unmatch_leaving_part_paid_reopens_then_partials(self) -> None:
        """Paid reported, then only 50 still matched: reopened, then partial 50."""
        paid = decide(subject(), PAID.position(), Reported(), today=TODAY).reported
        decision = decide(subject(), HALF.position(), paid, today=TODAY)
        assert [(p.type, p.amount) for p in decision.payments] == [
            ("payment.reopened", None), ("payment.partial", Decimal("50.00"))]
        assert decision.reported.paid == Decimal("50.00")

    def test_partial_unmatched_reopens(self) -> None:
        """A reported partial payment that is unmatched: reopened."""
        half = decide(subject(), HALF.position(), Reported(), today=TODAY).reported
        reopened = terms(row("t0", "71.00"), row("t1", "50.00"))
        (payment,) = decide(subject(), reopened.position(), half, today=TODAY).payments
        assert payment.type == "payment.reopened"

    def test_direct_debit_reversal_reason(self) -> None:
        """A storno booked against the invoice: reopened with the reversal reason."""
        paid = decide(subject(), PAID.position(), Reported(), today=TODAY).reported
        storno = terms(row("t0", "121.00", status=50),
                       refs=(row("r1", "121.00", ttype=90, entry="gje"),))
        (payment,) = decide(subject(), storno.position(), paid, today=TODAY).payments
        assert (payment.type, payment.reason) == ("payment.reopened", REASON_REVERSED)

    def test_no_evidence_no_result(self) -> None:
        """Only the open rest of a split entry seen: nothing, whatever was reported."""
        for reported in (Reported(), Reported("paid", Decimal("121.00"))):
            decision = decide(subject(), terms(row("t0", "71.00")).position(), reported,
                              today=TODAY)
            assert decision.payments == ()
            assert decision.reported == reported

    def test_never_seen_is_not_paid(self) -> None:
        """An invoice without any row seen (missing from a list) is not paid."""
        decision = decide(subject(), InvoiceTerms().position(), Reported(), today=TODAY)
        assert decision.payments == ()

    def test_credit_invoice_gets_no_payments(self) -> None:
        """A credit invoice matched with its invoice: no payment result."""
        credit = terms(row("t0", "-121.00", total="-121.00", ttype=21, status=50))
        assert decide(subject(), credit.position(), Reported(), today=TODAY).payments == ()
        assert decide(subject(credit_note=True), PAID.position(), Reported(),
                      today=TODAY).payments == ()

    def test_invoice_settled_by_credit_note_is_not_paid(self) -> None:
        """Credited in HostFact and matched with the credit note in Exact: no payment."""
        decision = decide(subject(credited=True), PAID.position(), Reported(), today=TODAY)
        assert decision.payments == ()
        assert decision.reported.status == "credited"

    def test_direct_debit_paid_on_batch_date(self) -> None:
        """Collected in a batch: paid on the batch date, not the matching date."""
        batch = dt.date(2026, 12, 5)
        (payment,) = decide(subject(batch_date=batch), PAID.position(), Reported(),
                            today=TODAY).payments
        assert payment.pay_date == batch

    def test_direct_debit_batch_in_future_is_planned(self) -> None:
        """A batch date ahead: planned now, matched on the day, then never again."""
        batch = dt.date(2026, 12, 20)
        planned = decide(subject(batch_date=batch), PAID.position(), Reported(), today=TODAY)
        assert planned.payments == ()
        assert planned.reported.planned_for == batch
        due = decide(subject(batch_date=batch), PAID.position(), planned.reported, today=batch)
        assert [p.type for p in due.payments] == ["payment.matched"]
        bank_later = decide(subject(batch_date=batch), PAID.position(), due.reported,
                            today=batch + dt.timedelta(days=3))
        assert bank_later.payments == ()

    def test_planned_then_unmatched_says_nothing(self) -> None:
        """A planned payment that is undone before its day was never published."""
        batch = dt.date(2026, 12, 20)
        planned = decide(subject(batch_date=batch), PAID.position(), Reported(), today=TODAY)
        undone = decide(subject(batch_date=batch), OPEN.position(), planned.reported,
                        today=TODAY)
        assert undone.payments == ()
        assert undone.reported.status == "open"


@st.composite
def histories(draw: st.DrawFn) -> list[list[str]]:
    """Sequences of the invoice's pieces: each a list of 'o'/'m' per 10.00 piece."""
    return draw(st.lists(st.lists(st.sampled_from("om"), min_size=1, max_size=5),
                          min_size=1, max_size=8))


class TestProperties:
    @given(histories())
    def test_reported_paid_follows_exact(self, history: list[list[str]]) -> None:
        """Whatever happens in Exact, HostFact ends up with Exact's paid amount, and applying
        every published result in order gives the same running total."""
        reported = Reported()
        hostfact_paid = Decimal("0.00")
        for step in history:
            size = len(history[0])
            states = (step + history[0])[:size]
            pieces = [row(f"t{i}", "10.00", status=50 if s == "m" else 20,
                          total=f"{10 * size}.00") for i, s in enumerate(states)]
            position = terms(*pieces).position()
            decision = decide(subject(), position, reported, today=TODAY)
            for payment in decision.payments:
                if payment.type == "payment.reopened":
                    hostfact_paid = Decimal("0.00")
                elif payment.type == "payment.partial":
                    assert payment.amount is not None
                    assert payment.amount > 0
                    hostfact_paid += payment.amount
                else:
                    hostfact_paid = position.total
            reported = decision.reported
            assert hostfact_paid == position.paid == reported.paid

    @pytest.mark.parametrize("status", ["open", "partial", "paid", "credited"])
    def test_decide_is_deterministic(self, status: str) -> None:
        """The same inputs give the same decision."""
        reported = Reported(status, Decimal("50.00") if status == "partial" else Decimal(0))  # type: ignore[arg-type]
        one = decide(subject(), HALF.position(), reported, today=TODAY)
        two = decide(subject(), HALF.position(), reported, today=TODAY)
        assert one == two
