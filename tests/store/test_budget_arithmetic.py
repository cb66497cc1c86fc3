"""Rate-budget arithmetic (pure): merging reports and reserving calls."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hfexact.store.budget import merge, next_midnight_utc, next_minute, reserve, roll
from hfexact.store.types import Budget

# 2023-05-12 08:18:25Z, the capture in reference §2.2
NOW = 1683879505.0
MINUTE_RESET = 1683879540.0
DAY_RESET = 1683936000.0
FULL = Budget(60, 58, MINUTE_RESET, 5000, 4766, DAY_RESET)


class TestWindows:
    def test_fixed_windows(self) -> None:
        """Minute windows end on the whole minute, days at 00:00 UTC."""
        assert next_minute(NOW) == MINUTE_RESET
        assert next_midnight_utc(NOW) == DAY_RESET

    def test_roll_refills_passed_windows(self) -> None:
        """After the reset the window is full again until headers say otherwise."""
        rolled = roll(Budget(60, 0, MINUTE_RESET, 5000, 10, DAY_RESET), MINUTE_RESET + 1)
        assert rolled == Budget(60, 60, MINUTE_RESET + 60, 5000, 10, DAY_RESET)


class TestMerge:
    def test_first_report_is_taken(self) -> None:
        """Nothing stored: the report is the budget."""
        assert merge(None, FULL) == FULL

    def test_same_window_keeps_the_lower_count(self) -> None:
        """Reservations not yet seen by Exact are not forgotten when an older count arrives."""
        stored = Budget(60, 40, MINUTE_RESET, 5000, 4700, DAY_RESET)
        assert merge(stored, FULL) == stored
        lower = Budget(60, 10, MINUTE_RESET, 5000, 4000, DAY_RESET)
        assert merge(stored, lower) == lower

    def test_new_window_takes_the_report(self) -> None:
        """A report for a later window replaces the count."""
        stored = Budget(60, 0, MINUTE_RESET, 5000, 4700, DAY_RESET)
        later = Budget(60, 59, MINUTE_RESET + 60, 5000, 4699, DAY_RESET)
        assert merge(stored, later) == Budget(60, 59, MINUTE_RESET + 60, 5000, 4699, DAY_RESET)

    def test_unmentioned_window_stays(self) -> None:
        """A minutely 429 carries no daily headers: the daily numbers are kept."""
        minute_only = Budget(60, 0, MINUTE_RESET, None, None, None)
        assert merge(FULL, minute_only) == Budget(60, 0, MINUTE_RESET, 5000, 4766, DAY_RESET)


class TestReserve:
    def test_reserve_decrements_both_windows(self) -> None:
        """A granted call costs one minutely and one daily call."""
        after, wait = reserve(FULL, NOW)
        assert wait is None
        assert (after.minute_remaining, after.day_remaining) == (57, 4765)

    def test_spent_minute_waits_for_its_reset(self) -> None:
        """No minutely calls left: wait until the minute resets, nothing is taken."""
        spent = Budget(60, 0, MINUTE_RESET, 5000, 4766, DAY_RESET)
        assert reserve(spent, NOW) == (spent, MINUTE_RESET)

    def test_spent_day_waits_for_midnight(self) -> None:
        """No daily calls left: wait for the day, even if the minute has calls."""
        spent = Budget(60, 0, MINUTE_RESET, 5000, 0, DAY_RESET)
        assert reserve(spent, NOW)[1] == DAY_RESET

    def test_after_reset_calls_flow_again(self) -> None:
        """Once the minute reset has passed a call is granted."""
        spent = Budget(60, 0, MINUTE_RESET, 5000, 4766, DAY_RESET)
        after, wait = reserve(spent, MINUTE_RESET + 0.1)
        assert wait is None
        assert after.minute_remaining == 59

    def test_keep_leaves_a_reserve(self) -> None:
        """``keep_minute`` calls are never handed out."""
        low = Budget(60, 5, MINUTE_RESET, 5000, 4766, DAY_RESET)
        assert reserve(low, NOW, keep_minute=5)[1] == MINUTE_RESET
        assert reserve(low, NOW, keep_minute=4)[1] is None

    def test_unknown_windows_do_not_block(self) -> None:
        """Nothing known about a window: the call goes ahead."""
        assert reserve(Budget(), NOW) == (Budget(), None)


class TestReserveProperties:
    @given(
        remaining=st.integers(min_value=0, max_value=70),
        day_remaining=st.integers(min_value=0, max_value=70),
        keep=st.integers(min_value=0, max_value=10),
        attempts=st.integers(min_value=0, max_value=100),
    )
    def test_never_grants_more_than_reported(
        self, remaining: int, day_remaining: int, keep: int, attempts: int
    ) -> None:
        """Within one window exactly min(attempts, remaining - keep) calls are granted."""
        budget = Budget(60, remaining, MINUTE_RESET, 5000, day_remaining, DAY_RESET)
        granted = 0
        for _ in range(attempts):
            budget, wait = reserve(budget, NOW, keep_minute=keep)
            if wait is None:
                granted += 1
            else:
                assert wait in (MINUTE_RESET, DAY_RESET)
        assert granted == min(attempts, max(min(remaining - keep, day_remaining), 0))
