"""Progress of long-running work: counts and ETA, as a bar on a terminal and as log lines in logs.

On a terminal (``interactive``) a rich progress bar shows done/total, elapsed time and the time
remaining. Anywhere else (systemd, cron, a pipe) the same facts go to the log as structured
``progress.update`` lines, at most one per ``every_seconds`` plus one when the total is reached,
and a closing ``progress.finished`` line::

    {"event": "progress.update", "task": "dlq replay", "done": 120, "total": 400,
     "percent": 30.0, "rate_per_second": 12.1, "eta_seconds": 23, ...}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from hfexact.logs import get_logger


class ProgressReporter:
    """Use as a context manager; call :meth:`update` with the count done (and the total)."""

    def __init__(
        self,
        task: str,
        total: int | None = None,
        *,
        console: Console | None = None,
        interactive: bool | None = None,
        logger: Any = None,
        every_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        transient: bool = False,
    ) -> None:
        self.task = task
        self.total = total
        self.done = 0
        self.note = ""
        self._console = console or Console(stderr=True)
        self.interactive = self._console.is_terminal if interactive is None else interactive
        self._log = logger or get_logger("hfexact.progress")
        self._every = every_seconds
        self._clock = clock
        self._started = clock()
        self._last_logged: float | None = None
        self._bar: Progress | None = None
        self._bar_task: Any = None
        if self.interactive:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                TextColumn("{task.fields[note]}"),
                console=self._console, transient=transient,
            )
            self._bar_task = self._bar.add_task(task, total=total, note="")

    def __enter__(self) -> ProgressReporter:
        self._started = self._clock()
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
        else:
            self._log.info("progress.finished", **self.snapshot(),
                           ok=exc_type is None)

    # -- the numbers ---------------------------------------------------------------------------
    def elapsed(self) -> float:
        return max(0.0, self._clock() - self._started)

    def rate(self) -> float | None:
        """Items per second so far (None before the first one)."""
        elapsed = self.elapsed()
        return self.done / elapsed if self.done and elapsed > 0 else None

    def eta_seconds(self) -> int | None:
        rate = self.rate()
        if self.total is None or rate is None:
            return None
        return max(0, round((self.total - self.done) / rate))

    def snapshot(self) -> dict[str, Any]:
        rate = self.rate()
        percent = (round(100.0 * self.done / self.total, 1) if self.total else None)
        out: dict[str, Any] = {
            "task": self.task, "done": self.done, "total": self.total, "percent": percent,
            "elapsed_seconds": round(self.elapsed(), 1),
            "rate_per_second": None if rate is None else round(rate, 2),
            "eta_seconds": self.eta_seconds(),
        }
        if self.note:
            out["note"] = self.note
        return out

    # -- reporting -----------------------------------------------------------------------------
    def update(self, done: int, total: int | None = None, note: str | None = None) -> None:
        """``done`` items finished (of ``total`` when it changed); ``note``: what happens now."""
        self.done = done
        if total is not None:
            self.total = total
        if note is not None:
            self.note = note
        if self._bar is not None:
            self._bar.update(self._bar_task, completed=done, total=self.total, note=self.note)
            return
        now = self._clock()
        finished = self.total is not None and done >= self.total
        if finished or self._last_logged is None or now - self._last_logged >= self._every:
            self._last_logged = now
            self._log.info("progress.update", **self.snapshot())

    def advance(self, by: int = 1) -> None:
        self.update(self.done + by)
