"""The backfill's arithmetic, pure: how many Exact calls the waiting records cost, and when they
are done under the division's daily limit while a share of it stays free.

Exact allows an app 60 calls a minute and 5,000 a day per division by default (the limits in
force are read from the store, which keeps what Exact's headers last said). The backfill may use
``1 - headroom`` of each window; the headroom (``HFEXACT_BACKFILL_HEADROOM_SHARE``, 20 % by
default) stays free for live events, the payment poller (whose own share is
``HFEXACT_PAYMENTS_BUDGET_SHARE``, 10 %, inside that headroom) and operators. Days are UTC days:
Exact's daily window resets at 00:00 UTC, the minute window on every whole minute.

Calls per record are what ``make bench`` measures (docs/performance.md): an invoice or purchase
invoice of a known party is one POST; a new debtor or creditor is a lookup by its code (to adopt
an account that exists already) plus a POST, or only the POST when Exact assigns the codes
(an empty code mask). Backfilled parties go first (the PHP backfill queues debtors and creditors
before invoices), so the invoices find them known.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

#: Exact's documented defaults, used while no answer has told the division's real limits
DEFAULT_MINUTE_LIMIT = 60
DEFAULT_DAY_LIMIT = 5000
DAY = 86400.0

#: the record types the PHP backfill queues, in its order
TYPES = ("debtors", "creditors", "invoices", "purchase_invoices")


@dataclass(frozen=True)
class CallCosts:
    """Exact calls per backfilled record, by type."""

    debtors: float = 2.0
    creditors: float = 2.0
    invoices: float = 1.0
    purchase_invoices: float = 1.0

    @classmethod
    def for_masks(cls, *, debtor_mask: bool = True, creditor_mask: bool = True) -> CallCosts:
        """Parties cost a lookup plus a POST with a code mask, the POST alone without one."""
        return cls(debtors=2.0 if debtor_mask else 1.0,
                   creditors=2.0 if creditor_mask else 1.0)

    def of(self, kind: str) -> float:
        value: float = getattr(self, kind)
        return value


@dataclass(frozen=True)
class Limits:
    """The division's budget as the planner sees it."""

    minute_limit: int = DEFAULT_MINUTE_LIMIT
    day_limit: int = DEFAULT_DAY_LIMIT
    #: calls left in the current UTC day (None: unknown, taken as the whole limit)
    day_remaining: int | None = None
    #: when the current daily window resets (epoch seconds; None: next 00:00 UTC)
    day_reset_at: float | None = None
    #: True when the limits came from Exact's headers (the store), not the defaults
    known: bool = False


@dataclass(frozen=True)
class Plan:
    """What the backfill costs and when it is done."""

    counts: Mapping[str, int]
    calls_by_type: Mapping[str, int]
    calls: int
    headroom_share: float
    per_minute: int  # calls a minute the backfill may use
    per_day: int  # calls a (whole) UTC day the backfill may use
    today: int  # calls the backfill may still use before the next reset
    days: int  # UTC days with backfill calls (today counts when it gets any)
    finish_at: float  # epoch seconds
    first_reset_at: float
    limits: Limits
    notes: tuple[str, ...] = field(default=())

    @property
    def finish(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.finish_at, dt.UTC)

    def as_dict(self) -> dict[str, object]:
        return {
            "records": dict(self.counts), "calls_by_type": dict(self.calls_by_type),
            "calls": self.calls, "headroom_share": self.headroom_share,
            "per_minute": self.per_minute, "per_day": self.per_day,
            "today": self.today, "days": self.days,
            "finish": self.finish.isoformat(timespec="seconds"),
            "limits": {"minute": self.limits.minute_limit, "day": self.limits.day_limit,
                       "day_remaining": self.limits.day_remaining,
                       "from_exact": self.limits.known},
            "notes": list(self.notes),
        }


def next_midnight_utc(now: float) -> float:
    return (math.floor(now / DAY) + 1) * DAY


def share_of(limit: int, headroom: float) -> int:
    """Calls of a window the backfill may use: ``limit * (1 - headroom)``, at least one."""
    return max(1, math.floor(limit * (1.0 - headroom) + 1e-9))


def calls_for(counts: Mapping[str, int], costs: CallCosts) -> dict[str, int]:
    """Calls per type (rounded up: a half call is a whole one)."""
    unknown = sorted(set(counts) - set(TYPES))
    if unknown:
        raise ValueError(f"unknown record types: {', '.join(unknown)}")
    negative = sorted(k for k, v in counts.items() if v < 0)
    if negative:
        raise ValueError(f"counts must not be negative: {', '.join(negative)}")
    return {kind: math.ceil(counts.get(kind, 0) * costs.of(kind) - 1e-9) for kind in TYPES}


def make_plan(counts: Mapping[str, int], limits: Limits, *, headroom: float, now: float,
              costs: CallCosts | None = None) -> Plan:
    """The plan for backfilling ``counts`` records from ``now`` on.

    Today the backfill gets what is left of today's window above the headroom
    (``day_remaining - headroom * day_limit``), and no more than its minute rate allows before
    the reset; each later UTC day it gets ``per_day``. Within a day it runs at ``per_minute``.
    """
    if not 0.0 <= headroom < 1.0:
        raise ValueError("the headroom share must be at least 0 and below 1")
    calls_by_type = calls_for(counts, costs or CallCosts())
    calls = sum(calls_by_type.values())
    per_minute = share_of(limits.minute_limit, headroom)
    per_day = min(share_of(limits.day_limit, headroom), per_minute * 1440)
    reset = limits.day_reset_at if limits.day_reset_at and limits.day_reset_at > now \
        else next_midnight_utc(now)
    kept = math.ceil(limits.day_limit * headroom - 1e-9)
    remaining = limits.day_limit if limits.day_remaining is None else limits.day_remaining
    minutes_left = max(0.0, (reset - now) / 60.0)
    today = max(0, min(remaining - kept, math.floor(per_minute * minutes_left)))
    notes: list[str] = []
    if not limits.known:
        notes.append(f"no rate headers stored for this division yet: assumed Exact's defaults "
                     f"({limits.minute_limit}/minute, {limits.day_limit:,}/day)")
    if calls == 0:
        return Plan(dict(counts), calls_by_type, 0, headroom, per_minute, per_day, today, 0,
                    now, reset, limits, tuple(notes))
    if calls <= today:
        finish = now + 60.0 * calls / per_minute
        days = 1
    else:
        rest = calls - today
        full_days, last = divmod(rest, per_day)
        if last == 0:
            full_days, last = full_days - 1, per_day
        finish = reset + full_days * DAY + 60.0 * last / per_minute
        days = (1 if today > 0 else 0) + full_days + 1
    if headroom < 0.1:
        notes.append("a headroom below 10 % leaves the payment poller (10 % by default) "
                     "short while the backfill runs")
    return Plan(dict(counts), calls_by_type, calls, headroom, per_minute, per_day, today, days,
                finish, reset, limits, tuple(notes))
