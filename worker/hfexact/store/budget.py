"""Rate-budget arithmetic, pure: merging what Exact reported and reserving one call.

Exact's windows are fixed: the minutely one resets on the whole clock minute, the daily one at
00:00 UTC (reference §2.2). A reservation decrements both; once a reset time has passed the
window is assumed full again until the next response headers say otherwise.
"""

from __future__ import annotations

import math
from dataclasses import replace

from hfexact.store.types import Budget

#: reset times closer than this are the same window (they are whole seconds in practice)
SAME_WINDOW = 0.5


def next_minute(now: float) -> float:
    return (math.floor(now / 60.0) + 1) * 60.0


def next_midnight_utc(now: float) -> float:
    return (math.floor(now / 86400.0) + 1) * 86400.0


def _merge_window(
    old: tuple[int | None, int | None, float | None],
    new: tuple[int | None, int | None, float | None],
) -> tuple[int | None, int | None, float | None]:
    old_limit, old_remaining, old_reset = old
    new_limit, new_remaining, new_reset = new
    if new_limit is None and new_remaining is None and new_reset is None:
        return old
    limit = new_limit if new_limit is not None else old_limit
    reset = new_reset if new_reset is not None else old_reset
    remaining = new_remaining
    same_window = (
        old_reset is not None and new_reset is not None and abs(old_reset - new_reset) < SAME_WINDOW
    )
    if same_window and old_remaining is not None and new_remaining is not None:
        # calls reserved by other workers may not have reached Exact yet: keep the lower count
        remaining = min(old_remaining, new_remaining)
    elif new_remaining is None:
        remaining = old_remaining
    return limit, remaining, reset


def merge(stored: Budget | None, reported: Budget) -> Budget:
    """The budget after a response reported ``reported`` (windows it did not mention stay)."""
    if stored is None:
        return reported
    m = _merge_window(
        (stored.minute_limit, stored.minute_remaining, stored.minute_reset_at),
        (reported.minute_limit, reported.minute_remaining, reported.minute_reset_at),
    )
    d = _merge_window(
        (stored.day_limit, stored.day_remaining, stored.day_reset_at),
        (reported.day_limit, reported.day_remaining, reported.day_reset_at),
    )
    return Budget(m[0], m[1], m[2], d[0], d[1], d[2])


def roll(budget: Budget, now: float) -> Budget:
    """Refill windows whose reset time has passed."""
    if budget.minute_reset_at is not None and now >= budget.minute_reset_at:
        budget = replace(
            budget,
            minute_remaining=budget.minute_limit,
            minute_reset_at=next_minute(now) if budget.minute_limit is not None else None,
        )
    if budget.day_reset_at is not None and now >= budget.day_reset_at:
        budget = replace(
            budget,
            day_remaining=budget.day_limit,
            day_reset_at=next_midnight_utc(now) if budget.day_limit is not None else None,
        )
    return budget


def reserve(
    budget: Budget, now: float, *, keep_minute: int = 0, keep_day: int = 0
) -> tuple[Budget, float | None]:
    """Take one call from the budget: ``(new budget, None)``, or ``(budget, wait_until)``.

    ``keep_*`` calls stay in reserve (another consumer, such as the payment poller, may use them).
    """
    budget = roll(budget, now)
    waits: list[float] = []
    if budget.minute_remaining is not None and budget.minute_remaining <= keep_minute:
        waits.append(budget.minute_reset_at if budget.minute_reset_at is not None
                     else next_minute(now))
    if budget.day_remaining is not None and budget.day_remaining <= keep_day:
        waits.append(budget.day_reset_at if budget.day_reset_at is not None
                     else next_midnight_utc(now))
    if waits:
        return budget, max(waits)
    return replace(
        budget,
        minute_remaining=None if budget.minute_remaining is None else budget.minute_remaining - 1,
        day_remaining=None if budget.day_remaining is None else budget.day_remaining - 1,
    ), None
