"""``hfexact backfill run``: the worker, paced so that the backfill leaves the headroom free.

The backfill's events travel like live ones (``<P>.events`` -> ``<P>.exact``), so the pacing is
on the worker side: this mode runs the ordinary worker loop (``hfexact.worker_loop.Worker``,
burst: it returns once the queue and its retries are empty) with an Exact client that keeps
``headroom`` of every window in reserve: ``keep_minute = minute_limit - per_minute`` calls of each
minute and ``keep_day = ceil(day_limit * headroom)`` calls of each UTC day. The store's
``reserve_call`` applies them atomically for every worker sharing the division's budget, so the
payment poller and any other worker still find calls left. When today's share is spent the
client raises ``RateLimited`` until the daily reset: the loop parks the message in a retry queue
and pauses; with ``stop_when_spent`` the run ends there instead (run it again after the reset,
e.g. from a timer), which is what a cron-style operator wants.

Live events that arrive during the backfill queue up behind it (one FIFO queue); the planner
says how long that is. Run this instead of ``hfexact worker`` while the backlog drains.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hfexact.backfill.plan import Limits, make_plan, share_of
from hfexact.errors import PermanentError, RateLimited
from hfexact.processing_types import MessageMeta, Outcome

#: a RateLimited whose reset is further away than this is the daily window, not the minute
DAY_WINDOW_SECONDS = 90.0


def keeps(limits: Limits, headroom: float) -> tuple[int, int]:
    """(keep_minute, keep_day): the calls of each window the backfill leaves unused."""
    per_minute = share_of(limits.minute_limit, headroom)
    keep_minute = max(0, limits.minute_limit - per_minute)
    keep_day = math.ceil(limits.day_limit * headroom - 1e-9)
    return keep_minute, keep_day


@dataclass
class Counter:
    """Events handled so far (booked, duplicate, ignored or dead-lettered)."""

    handled: int = 0
    spent_until: float | None = None
    calls_at_start: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class PacedProcessor:
    """The real processor, counting what it handled and noticing a spent daily share."""

    def __init__(self, inner: Any, counter: Counter, *,
                 on_handled: Callable[[], None] = lambda: None,
                 on_spent: Callable[[float], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.inner = inner
        self.counter = counter
        self._on_handled = on_handled
        self._on_spent = on_spent
        self._clock = clock

    def process(self, body: bytes, meta: MessageMeta) -> Outcome:
        try:
            outcome: Outcome = self.inner.process(body, meta)
        except RateLimited as exc:
            if exc.retry_at - self._clock() > DAY_WINDOW_SECONDS:
                self.counter.spent_until = exc.retry_at
                if self._on_spent is not None:
                    self._on_spent(exc.retry_at)
            raise
        except PermanentError:
            self._handled()
            raise
        self._handled()
        return outcome

    def _handled(self) -> None:
        self.counter.handled += 1
        self._on_handled()


def eta_text(remaining_events: int, calls_per_event: float, limits: Limits, headroom: float,
             now: float) -> str:
    """When the remaining events are done at the budget, as a short UTC time."""
    if remaining_events <= 0:
        return "done"
    calls = math.ceil(remaining_events * max(calls_per_event, 1.0) - 1e-9)
    plan = make_plan({"invoices": calls}, limits, headroom=headroom, now=now)
    return f"finish by budget {plan.finish.strftime('%Y-%m-%d %H:%M UTC')}"
