"""Exact's rate limits, kept as one budget per division in the store (shared by all workers).

Before every call a call is reserved from the budget; when the budget is known to be spent the
call is not made and ``RateLimited(retry_at)`` is raised instead. After every answer the six
``X-RateLimit-*`` headers (resets in epoch milliseconds) are merged into the budget, unless they
say nothing the reservation did not already write (the steady state: one store transaction per
call, not two); a 429 marks its window spent until the reset it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import requests

from hfexact.errors import RateLimited
from hfexact.exact.errors_map import retry_at_429
from hfexact.store import Budget, Store
from hfexact.store import budget as arithmetic

HEADERS = {
    "minute_limit": "X-RateLimit-Minutely-Limit",
    "minute_remaining": "X-RateLimit-Minutely-Remaining",
    "minute_reset_at": "X-RateLimit-Minutely-Reset",
    "day_limit": "X-RateLimit-Limit",
    "day_remaining": "X-RateLimit-Remaining",
    "day_reset_at": "X-RateLimit-Reset",
}


def budget_from_headers(headers: Mapping[str, str]) -> Budget | None:
    """The budget the headers report (unknown windows stay None), or None without any header."""
    values: dict[str, int | float | None] = {}
    for field, name in HEADERS.items():
        raw = headers.get(name)
        value: int | float | None = None
        if raw is not None and str(raw).strip() != "":
            try:
                number = int(str(raw).strip())
            except ValueError:
                number = None
            if number is not None:
                value = number / 1000.0 if field.endswith("reset_at") else number
        values[field] = value
    if all(v is None for v in values.values()):
        return None
    return Budget(**values)  # type: ignore[arg-type]


class RateLimiter:
    """Reserve before a call, record after it; ``margin`` seconds are added to every reset."""

    def __init__(
        self, store: Store, *, keep_minute: int = 0, keep_day: int = 0, margin: float = 1.0
    ) -> None:
        self._store = store
        self._keep_minute = keep_minute
        self._keep_day = keep_day
        self.margin = margin
        #: division -> the budget as this limiter last wrote or read it in the store
        self._known: dict[int, Budget] = {}

    def reserve(self, division: int, now: float) -> None:
        """Take one call from the division's budget or raise RateLimited without calling."""
        after, wait_until = self._store.reserve_budget(
            division, now, keep_minute=self._keep_minute, keep_day=self._keep_day
        )
        if after is not None:
            self._known[division] = after
        if wait_until is not None:
            raise RateLimited(
                f"Exact rate budget of division {division} is spent until the reset",
                retry_at=wait_until + self.margin, division=division,
            )

    def record(self, division: int, response: requests.Response) -> None:
        """Merge the rate headers of an answer into the division's budget."""
        reported = budget_from_headers(response.headers)
        if reported is None:
            return
        known = self._known.get(division)
        if known is not None and arithmetic.merge(known, reported) == known:
            # what our reservation wrote already says it; a lower count stored by another
            # worker in the same window would stay lower anyway (the merge keeps the minimum)
            return
        self._known[division] = self._store.record_budget(division, reported)

    def record_429(self, division: int, response: requests.Response, now: float) -> RateLimited:
        """Mark the exhausted window spent until its reset; the error to raise (or wait on)."""
        retry_at = retry_at_429(response, now)
        reported = budget_from_headers(response.headers) or Budget()
        day_hit = reported.day_reset_at is not None and abs(reported.day_reset_at - retry_at) < 1
        if day_hit:
            reported = replace(reported, day_remaining=0, day_reset_at=retry_at)
        else:
            reported = replace(reported, minute_remaining=0, minute_reset_at=retry_at)
        self._known[division] = self._store.record_budget(division, reported)
        return RateLimited(
            f"Exact answered 429 for division {division}; waiting for the reset",
            retry_at=retry_at + self.margin, division=division,
        )
