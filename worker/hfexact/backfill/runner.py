"""Wiring of ``hfexact backfill run``: store, paced Exact client, processor, worker loop, progress.

See ``hfexact.backfill.pacing`` for what the pacing does and why it lives in the worker.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pika.exceptions
from rich.console import Console

from hfexact.amqp import topology
from hfexact.amqp.connection import connect as amqp_connect
from hfexact.backfill.pacing import Counter, PacedProcessor, eta_text, keeps
from hfexact.backfill.plan import Limits
from hfexact.backfill.sources import limits_from_store
from hfexact.config import Settings
from hfexact.processing import Processor
from hfexact.progress import ProgressReporter
from hfexact.store import open_configured_store
from hfexact.worker_loop import Worker


@dataclass(frozen=True)
class RunReport:
    """What one ``backfill run`` did."""

    handled: int
    exact_calls: int
    seconds: float
    total: int
    keep_minute: int
    keep_day: int
    limits: Limits
    stopped_because: str
    spent_until: float | None


def queue_depth(settings: Settings) -> int:
    """Events waiting in ``<P>.exact`` now (0 when the queue does not exist yet)."""
    connection = amqp_connect(settings.amqp_url, name="hfexact backfill")
    try:
        name = topology.Names(settings.amqp_prefix).exact
        ok = connection.channel().queue_declare(name, passive=True)
        return int(ok.method.message_count)
    except pika.exceptions.ChannelClosedByBroker:
        return 0
    finally:
        if connection.is_open:
            connection.close()


def run_backfill(
    settings: Settings,
    *,
    headroom: float,
    total: int | None = None,
    stop_when_spent: bool = False,
    show_progress: bool = True,
    console: Console | None = None,
    clock: Callable[[], float] = time.time,
    idle_seconds: float = 1.0,
    connect: Callable[[], Any] | None = None,
) -> RunReport:
    """Drain ``<P>.exact`` at the backfill's share of the budget; returns what was done."""
    from hfexact.exact.client import ExactClient

    store = open_configured_store(settings, clock=clock)
    division = settings.division_for(settings.installation)
    limits = limits_from_store(store, division, clock())
    keep_minute, keep_day = keeps(limits, headroom)
    client = ExactClient(settings, store, clock=clock, keep_minute=keep_minute,
                         keep_day=keep_day)
    processor = Processor(settings, store, client, clock=clock,
                          archived_debtors=settings.archived_debtors)
    waiting = queue_depth(settings) if total is None else total
    counter = Counter(calls_at_start=client.calls)
    holder: dict[str, Worker] = {}
    # a bar on a terminal; structured progress.update lines in a log (systemd, cron, a pipe)
    progress = (ProgressReporter("backfill", total=max(waiting, 1), console=console,
                                 every_seconds=30.0)
                if show_progress else None)
    started = time.monotonic()

    def handled() -> None:
        done = counter.handled
        calls = client.calls - counter.calls_at_start
        per_event = calls / done if done else 1.0
        minutes = max((time.monotonic() - started) / 60.0, 1e-9)
        if progress is not None:
            progress.update(min(done, max(waiting, 1)), note=(
                f"{done / minutes:,.0f}/min, {calls:,} Exact calls; "
                f"{eta_text(waiting - done, per_event, limits, headroom, clock())}"))

    def spent(until: float) -> None:
        if stop_when_spent and "worker" in holder:
            holder["worker"].request_stop()

    paced = PacedProcessor(processor, counter, on_handled=handled, on_spent=spent, clock=clock)
    # one lane: the backfill goes at the budget's pace anyway, and its counter and progress bar
    # are then updated from one thread only
    worker = Worker(settings, paced, idle_seconds=idle_seconds, connect=connect, clock=clock,
                    concurrency=1)
    holder["worker"] = worker
    try:
        with progress if progress is not None else contextlib.nullcontext():
            stats = worker.run(burst=True)
    finally:
        processor.close()
    stopped = stats.stopped_because
    if stop_when_spent and counter.spent_until is not None:
        stopped = "today's share of the daily limit is spent"
    return RunReport(
        handled=counter.handled, exact_calls=client.calls - counter.calls_at_start,
        seconds=time.monotonic() - started, total=waiting, keep_minute=keep_minute,
        keep_day=keep_day, limits=limits, stopped_because=stopped,
        spent_until=counter.spent_until,
    )
