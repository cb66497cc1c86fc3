"""The poller's share of Exact's rate budget, its stored state and its building blocks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hfexact.payments.budget import pace, poll_share
from hfexact.payments.decide import Reported, Subject
from hfexact.payments.reconcile import compare
from hfexact.payments.source import read_all
from hfexact.payments.state import InvoiceState, PaymentState
from hfexact.payments.subjects import batch_date
from hfexact.payments.terms import InvoiceTerms, TermRow
from hfexact.store import Binding, Budget

NOW = 1_764_000_030.0  # 30 s into a minute
MINUTE_END = 1_764_000_060.0


def budget(remaining: int, limit: int = 60, day_remaining: int = 4000) -> Budget:
    return Budget(limit, remaining, MINUTE_END, 5000, day_remaining, NOW + 3600)


class TestShare:
    def test_default_is_six_calls_a_minute(self) -> None:
        """10 % of Exact's 60: the poller's client keeps 54 calls of every minute back."""
        share = poll_share(budget(60), 0.10, NOW, calls_today=0)
        assert (share.minute_allowance, share.keep_minute, share.wait_until) == (6, 54, None)

    def test_unknown_budget_uses_exact_defaults(self) -> None:
        """Before any response told the limits, Exact's documented ones apply."""
        share = poll_share(None, 0.10, NOW, calls_today=0)
        assert (share.keep_minute, share.day_allowance) == (54, 500)

    def test_limits_from_the_headers(self) -> None:
        """A contract with 100 a minute gives the poller 10."""
        assert poll_share(budget(100, limit=100), 0.10, NOW, calls_today=0).keep_minute == 90

    def test_exports_used_the_minute(self) -> None:
        """Exports left 54 or fewer calls this minute: skip until the minute resets."""
        share = poll_share(budget(54), 0.10, NOW, calls_today=0)
        assert share.wait_until == MINUTE_END
        assert "kept for exports" in share.reason

    def test_room_left(self) -> None:
        """55 left: the poller may take one."""
        assert poll_share(budget(55), 0.10, NOW, calls_today=0).wait_until is None

    def test_minute_reset_passed(self) -> None:
        """A spent minute whose reset has passed is full again."""
        share = poll_share(budget(0), 0.10, MINUTE_END + 1, calls_today=0)
        assert share.wait_until is None

    def test_daily_share_used(self) -> None:
        """500 calls today: nothing more until midnight UTC."""
        share = poll_share(budget(60), 0.10, NOW, calls_today=500)
        midnight = (NOW // 86400 + 1) * 86400
        assert share.wait_until == midnight

    def test_daily_limit_spent(self) -> None:
        """Exact's own daily budget spent: wait for its reset."""
        share = poll_share(budget(60, day_remaining=0), 0.10, NOW, calls_today=0)
        assert share.wait_until == NOW + 3600

    def test_pace_spreads_the_day(self) -> None:
        """60 s asked, 10 calls left and 10 hours to midnight: one poll an hour."""
        share = poll_share(budget(60), 0.10, NOW, calls_today=490)
        midnight = (NOW // 86400 + 1) * 86400
        assert pace(60, share, NOW) == (midnight - NOW) / 10
        assert pace(10_000_000, share, NOW) == 10_000_000


class MemoryCursors:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_cursor(self, name: str) -> str | None:
        return self.values.get(name)

    def set_cursor(self, name: str, value: str) -> None:
        self.values[name] = value


def row(term_id: str, amount: str, status: int = 20) -> TermRow:
    return TermRow(term_id, 5, 20, status, Decimal(amount), Decimal("121.00"), "e", 1, 20, None)


class TestState:
    def test_trivial_states(self) -> None:
        """Only one open piece of the whole amount and nothing reported: nothing to keep."""
        open_one = InvoiceTerms().apply(row("a", "121.00"), own=True)
        assert InvoiceState(open_one).trivial
        assert InvoiceState().trivial
        assert not InvoiceState(open_one, Reported("partial", Decimal(1))).trivial
        split = open_one.apply(row("a", "100.00"), own=True).apply(row("b", "21.00", 50),
                                                                   own=True)
        assert not InvoiceState(split).trivial

    def test_round_trip(self) -> None:
        """States, cursors, planned keys and call counts survive the store."""
        cursors = MemoryCursors()
        state = PaymentState(cursors)
        terms = InvoiceTerms().apply(row("a", "121.00", 50), own=True)
        held = InvoiceState(terms, Reported("planned", Decimal("121.00"), 2,
                                            dt.date(2026, 12, 5)))
        assert InvoiceState.loads(held.dumps()) == held
        state.save_cursor(123456, 1004)
        state.save_planned("hf", {("invoice", "7"), ("invoice", "8")})
        state.add_calls(123456, dt.date(2026, 12, 1), 3)
        state.add_calls(123456, dt.date(2026, 12, 1), 2)
        assert state.cursor(123456) == 1004
        assert state.planned("hf") == {("invoice", "7"), ("invoice", "8")}
        assert state.calls_on(123456, dt.date(2026, 12, 1)) == 5
        assert state.calls_on(123456, dt.date(2026, 12, 2)) == 0


def binding(hostfact_id: str, details: dict[str, Any]) -> Binding:
    return Binding("hf", "sdd_batch", hostfact_id, hostfact_id, 1, "done", "x", None, None,
                   None, details, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))


class TestBuildingBlocks:
    def test_batch_date(self) -> None:
        """The batch's date from its details, else from the id SDDYYYYMMDD."""
        assert batch_date(binding("SDD20261205", {})) == dt.date(2026, 12, 5)
        assert batch_date(binding("SDD20261205", {"date": "2026-12-06"})) == dt.date(2026, 12, 6)
        assert batch_date(binding("SDD20261399", {})) is None

    def test_read_all_pages_with_skip(self) -> None:
        """Pages are asked with $skip until a short page."""
        data = [{"n": i} for i in range(130)]
        asked: list[Any] = []

        def get_page(path: str, params: Any) -> list[dict[str, Any]]:
            asked.append(params.get("$skip"))
            start = params.get("$skip", 0)
            return data[start:start + 60]

        assert read_all(get_page, "x", {"$select": "n"}, 60) == data
        assert asked == [None, 60, 120]


class TestReconcileCompare:
    SUBJECT = Subject("hf", "sales", "1", "F1", 123456, "e", 1)

    def state(self, status: str, paid: str, *pieces: TermRow) -> InvoiceState:
        terms = InvoiceTerms()
        for p in pieces:
            terms = terms.apply(p, own=True)
        return InvoiceState(terms, Reported(status, Decimal(paid)))  # type: ignore[arg-type]

    def test_agreeing_sides(self) -> None:
        """Open and open, paid and gone, part paid with the same rest: no difference."""
        assert compare(self.SUBJECT, None, Decimal("121.00")) is None
        assert compare(self.SUBJECT, self.state("paid", "121.00"), Decimal(0)) is None
        part = self.state("partial", "21.00", row("a", "100.00"), row("b", "21.00", 50))
        assert compare(self.SUBJECT, part, Decimal("100.00")) is None

    def test_paid_but_open_in_exact(self) -> None:
        """HostFact was told paid; Exact has it open (unmatched, not polled yet)."""
        note = compare(self.SUBJECT, self.state("paid", "121.00"), Decimal("121.00"))
        assert note == "paid in HostFact but still open in Exact"

    def test_gone_without_evidence(self) -> None:
        """Not open in Exact but no match seen: reported, never taken as paid."""
        note = compare(self.SUBJECT, None, Decimal(0))
        assert note is not None
        assert "no match was seen" in note

    def test_amounts_differ(self) -> None:
        """Told 100 open; Exact shows 50."""
        part = self.state("partial", "21.00", row("a", "100.00"), row("b", "21.00", 50))
        note = compare(self.SUBJECT, part, Decimal("50.00"))
        assert note == "open amount differs: HostFact was told 100.00 is open"
