"""Reading Exact's six rate-limit headers, and what a 429 does to the shared budget."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from hfexact.errors import RateLimited
from hfexact.exact.ratelimit import RateLimiter, budget_from_headers
from hfexact.store import Budget, Store, open_store

NOW = 1683879505.0
CAPTURE = {  # reference §2.2, a real capture (May 2023)
    "X-RateLimit-Minutely-Limit": "60",
    "X-RateLimit-Minutely-Remaining": "58",
    "X-RateLimit-Minutely-Reset": "1683879540000",
    "X-RateLimit-Limit": "5000",
    "X-RateLimit-Remaining": "4766",
    "X-RateLimit-Reset": "1683936000000",
}


def answer(status: int, headers: dict[str, str]) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = b""
    r.headers.update(headers)
    return r


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")


class TestHeaders:
    def test_all_six(self) -> None:
        """The capture becomes a budget with resets in epoch seconds."""
        assert budget_from_headers(CAPTURE) == Budget(
            60, 58, 1683879540.0, 5000, 4766, 1683936000.0)

    def test_partial_and_absent(self) -> None:
        """Missing windows stay unknown; no headers at all is no budget."""
        minute_only = {k: v for k, v in CAPTURE.items() if "Minutely" in k}
        assert budget_from_headers(minute_only) == Budget(60, 58, 1683879540.0, None, None, None)
        assert budget_from_headers({}) is None
        assert budget_from_headers({"X-RateLimit-Remaining": "many"}) is None

    def test_case_insensitive(self) -> None:
        """Header names are case-insensitive on a real response."""
        lower = answer(200, {k.lower(): v for k, v in CAPTURE.items()})
        assert budget_from_headers(lower.headers) == budget_from_headers(CAPTURE)


class TestLimiter:
    def test_record_then_reserve(self, store: Store) -> None:
        """Recorded headers feed reservations; a spent minute raises with reset + margin."""
        limiter = RateLimiter(store)
        limiter.record(1, answer(200, {**CAPTURE, "X-RateLimit-Minutely-Remaining": "1"}))
        limiter.reserve(1, NOW)
        with pytest.raises(RateLimited) as caught:
            limiter.reserve(1, NOW)
        assert caught.value.retry_at == 1683879541.0
        assert caught.value.division == 1

    def test_answer_that_agrees_with_the_reservation_costs_no_transaction(
        self, store: Store
    ) -> None:
        """Steady state: the answer's headers say what the reservation wrote: not stored
        again. An answer that says more (another app used the budget) is stored."""
        from sqlalchemy import event

        limiter = RateLimiter(store)
        limiter.record(1, answer(200, CAPTURE))  # 58 left in the minute, 4766 in the day
        transactions: list[object] = []
        event.listen(store.engine, "begin", transactions.append)
        limiter.reserve(1, NOW)  # 57 and 4765
        limiter.record(1, answer(200, {**CAPTURE, "X-RateLimit-Minutely-Remaining": "57",
                                       "X-RateLimit-Remaining": "4765"}))
        assert len(transactions) == 1
        limiter.reserve(1, NOW)  # 56 and 4764, but someone else spent 10 of the minute
        limiter.record(1, answer(200, {**CAPTURE, "X-RateLimit-Minutely-Remaining": "46",
                                       "X-RateLimit-Remaining": "4764"}))
        assert len(transactions) == 3
        assert store.get_budget(1) == Budget(60, 46, 1683879540.0, 5000, 4764, 1683936000.0)

    def test_lower_count_stored_by_another_worker_stays(self, store: Store) -> None:
        """Skipping the write never raises a count another worker lowered meanwhile."""
        ours, theirs = RateLimiter(store), RateLimiter(store)
        ours.record(1, answer(200, CAPTURE))
        ours.reserve(1, NOW)  # 57
        for _ in range(5):
            theirs.reserve(1, NOW)  # 52
        ours.record(1, answer(200, {**CAPTURE, "X-RateLimit-Minutely-Remaining": "57",
                                    "X-RateLimit-Remaining": "4765"}))
        budget = store.get_budget(1)
        assert budget is not None
        assert budget.minute_remaining == 52

    def test_minutely_429_spends_the_minute(self, store: Store) -> None:
        """A minutely 429 marks the minute spent until its reset; the day is untouched."""
        limiter = RateLimiter(store)
        limiter.record(1, answer(200, CAPTURE))
        error = limiter.record_429(1, answer(429, {
            "X-RateLimit-Minutely-Limit": "60", "X-RateLimit-Minutely-Remaining": "0",
            "X-RateLimit-Minutely-Reset": "1683879540000"}), NOW)
        assert error.retry_at == 1683879541.0
        assert store.get_budget(1) == Budget(60, 0, 1683879540.0, 5000, 4766, 1683936000.0)

    def test_daily_429_spends_the_day(self, store: Store) -> None:
        """A daily 429 holds every call until midnight UTC."""
        limiter = RateLimiter(store)
        error = limiter.record_429(1, answer(429, {
            "X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "1683936000000"}), NOW)
        assert error.retry_at == 1683936001.0
        with pytest.raises(RateLimited) as caught:
            limiter.reserve(1, NOW + 120)
        assert caught.value.retry_at == 1683936001.0

    def test_bare_429_waits_a_minute(self, store: Store) -> None:
        """A 429 without headers still stops calls for about a minute."""
        limiter = RateLimiter(store)
        error = limiter.record_429(1, answer(429, {}), NOW)
        assert error.retry_at >= NOW + 60
        with pytest.raises(RateLimited):
            limiter.reserve(1, NOW + 1)

    def test_keep_reserve(self, store: Store) -> None:
        """A limiter told to keep calls in reserve stops earlier than the budget's end."""
        RateLimiter(store).record(1, answer(200, {**CAPTURE,
                                                  "X-RateLimit-Minutely-Remaining": "6"}))
        backfill = RateLimiter(store, keep_minute=5)
        backfill.reserve(1, NOW)
        with pytest.raises(RateLimited):
            backfill.reserve(1, NOW)
        RateLimiter(store).reserve(1, NOW)  # the worker may still use the reserve
