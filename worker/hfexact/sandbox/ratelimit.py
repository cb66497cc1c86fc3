"""Fair-use limits per (client, division): fixed minute and day windows, and the error budget.

Windows are fixed, as Exact's are: the minute window resets on the next whole minute, the day
window at 00:00 UTC; resets are reported in epoch *milliseconds*. Every counted API response
carries all six ``X-RateLimit-*`` headers; a 429 carries only the exhausted window's three.

Error budget (off unless enabled): more than ``limit`` error responses (400, 401, 403, 404, and
500 business validation) for one (client, division, endpoint) within an hour block that key
for an hour. Exact's status for a blocked key is not documented (reference §9); the sandbox
answers 429 with an error envelope saying so.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

Key = tuple[str, int]


@dataclass
class _Window:
    start: int = -1
    used: int = 0


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    window: str | None = None  # "minutely" or "daily" when refused


class RateLimiter:
    def __init__(self, minutely: int, daily: int) -> None:
        self.minutely = minutely
        self.daily = daily
        self.reset()

    def reset(self) -> None:
        self._minute: dict[Key, _Window] = defaultdict(_Window)
        self._day: dict[Key, _Window] = defaultdict(_Window)

    def take(self, key: Key, now: float) -> Verdict:
        minute_start = int(now // 60) * 60
        day_start = int(now // 86400) * 86400
        minute, day = self._minute[key], self._day[key]
        if minute.start != minute_start:
            minute.start, minute.used = minute_start, 0
        if day.start != day_start:
            day.start, day.used = day_start, 0
        minute_reset = (minute_start + 60) * 1000
        day_reset = (day_start + 86400) * 1000
        if day.used >= self.daily:
            return Verdict(False, {"X-RateLimit-Limit": str(self.daily),
                                   "X-RateLimit-Remaining": "0",
                                   "X-RateLimit-Reset": str(day_reset)}, "daily")
        if minute.used >= self.minutely:
            return Verdict(False, {"X-RateLimit-Minutely-Limit": str(self.minutely),
                                   "X-RateLimit-Minutely-Remaining": "0",
                                   "X-RateLimit-Minutely-Reset": str(minute_reset)}, "minutely")
        minute.used += 1
        day.used += 1
        return Verdict(True, {
            "X-RateLimit-Limit": str(self.daily),
            "X-RateLimit-Remaining": str(self.daily - day.used),
            "X-RateLimit-Reset": str(day_reset),
            "X-RateLimit-Minutely-Limit": str(self.minutely),
            "X-RateLimit-Minutely-Remaining": str(self.minutely - minute.used),
            "X-RateLimit-Minutely-Reset": str(minute_reset),
        })

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {f"{c}/{d}": {"minute_used": self._minute[(c, d)].used, "day_used": w.used}
                for (c, d), w in self._day.items()}


class ErrorBudget:
    WINDOW = 3600.0

    def __init__(self, enabled: bool, limit: int = 10) -> None:
        self.enabled = enabled
        self.limit = limit
        self.reset()

    def reset(self) -> None:
        self._errors: dict[tuple[str, int, str], list[float]] = defaultdict(list)
        self._blocked: dict[tuple[str, int, str], float] = {}

    def blocked_until(self, key: tuple[str, int, str], now: float) -> float | None:
        if not self.enabled:
            return None
        until = self._blocked.get(key)
        if until is not None and until > now:
            return until
        return None

    def record(self, key: tuple[str, int, str], status: int, now: float) -> None:
        if not self.enabled or status not in (400, 401, 403, 404, 500):
            return
        recent = [t for t in self._errors[key] if now - t < self.WINDOW]
        recent.append(now)
        self._errors[key] = recent
        if len(recent) > self.limit:
            self._blocked[key] = now + self.WINDOW

    @staticmethod
    def retry_after(until: float, now: float) -> str:
        return str(max(1, math.ceil(until - now)))
