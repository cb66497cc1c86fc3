"""The poller's share of Exact's rate budget (pure arithmetic over the stored budget).

Exports must keep flowing, so the poller takes at most ``share`` of each window: of the minute
limit (``HFEXACT_PAYMENTS_BUDGET_SHARE``, default 10 %: 6 of Exact's 60 calls a minute) and of
the daily limit (500 of 5,000). The minute share is enforced by the Exact client itself: the
poller's client keeps ``limit - share`` calls of every minute in reserve, so it can never call
while fewer remain (the reservation is atomic in the store, shared by every worker). The day
share is counted by the poller (``state.calls_on``). Before a poll the poller checks both and,
when there is no room, skips the division until the window resets instead of waiting on Exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hfexact.store import Budget
from hfexact.store.budget import next_midnight_utc, next_minute, roll

#: Exact's documented defaults, used while no response has told the real limits yet
DEFAULT_MINUTE_LIMIT = 60
DEFAULT_DAY_LIMIT = 5000


@dataclass(frozen=True)
class Share:
    """How the poller may use a division's budget now."""

    minute_allowance: int  # calls per minute the poller may make
    keep_minute: int  # calls of every minute left to the exports
    day_allowance: int  # calls per day the poller may make
    day_left: int  # of the day allowance
    wait_until: float | None  # None: poll now; else the epoch time when there is room again
    reason: str = ""


def allowance(limit: int, share: float) -> int:
    return max(1, math.floor(limit * share))


def poll_share(budget: Budget | None, share: float, now: float, *, calls_today: int) -> Share:
    """Whether (and how) to poll a division now, given its stored budget."""
    current = roll(budget, now) if budget is not None else Budget()
    minute_limit = current.minute_limit or DEFAULT_MINUTE_LIMIT
    day_limit = current.day_limit or DEFAULT_DAY_LIMIT
    per_minute = allowance(minute_limit, share)
    per_day = allowance(day_limit, share)
    keep = minute_limit - per_minute
    day_left = max(per_day - calls_today, 0)
    result = Share(per_minute, keep, per_day, day_left, None)
    if day_left <= 0:
        return _wait(result, next_midnight_utc(now),
                     f"the poller used its {per_day} calls of today")
    if current.day_remaining is not None and current.day_remaining <= 0:
        return _wait(result, current.day_reset_at or next_midnight_utc(now),
                     "Exact's daily limit is spent")
    if current.minute_remaining is not None and current.minute_remaining <= keep:
        return _wait(result, current.minute_reset_at or next_minute(now),
                     f"{current.minute_remaining} calls left this minute are kept for exports")
    return result


def _wait(share: Share, until: float, reason: str) -> Share:
    return Share(share.minute_allowance, share.keep_minute, share.day_allowance, share.day_left,
                 until, reason)


def pace(interval: float, share: Share, now: float, calls_per_poll: int = 1) -> float:
    """Seconds until the next poll in ``--watch``: at least ``interval``, and spread so the
    calls left of today's allowance last until midnight UTC."""
    left = max(share.day_left, 1)
    spread = (next_midnight_utc(now) - now) * calls_per_poll / left
    return max(interval, spread)
