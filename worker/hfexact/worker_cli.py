"""``hfexact worker [--burst] [--max-messages N]``: consume ``<P>.exact`` until stopped.

SIGTERM/SIGINT finish the message in hand and stop; a second signal stops at once. Exit codes:
0 stopped normally, 2 configuration error, 3 Exact authorization lost (run ``hfexact auth
login``), 143 stopped at once by a second signal.
"""

from __future__ import annotations

import os
from typing import Any

import click

from hfexact import crashpoints
from hfexact.config import Settings
from hfexact.logs import configure, get_logger
from hfexact.worker_loop import Settled, Worker


@click.command("worker")
@click.option("--burst", is_flag=True,
              help="Drain the queue (and its pending retries), then exit.")
@click.option("--max-messages", type=click.IntRange(min=1), default=None,
              help="Stop after handling N messages.")
@click.pass_obj
def worker_cmd(app: Any, burst: bool, max_messages: int | None) -> None:
    """Consume HostFact events and book them in Exact Online."""
    settings: Settings = app.settings
    configure(settings.log_format, settings.log_level)
    log = get_logger("hfexact.worker")
    # test-only fault hook: HFEXACT_CRASH_AT arms kill -9 points (never set in production)
    if crashpoints.arm_from(os.environ):
        log.warning("worker.crash_points_armed", points=os.environ.get("HFEXACT_CRASH_AT"))
    from hfexact.processing import build_processor

    processor = build_processor(settings)
    store = processor.store

    def record(s: Settled) -> None:
        store.record_outcome(s.event_id, s.event_type, s.outcome, s.hostfact_code, s.exact_id,
                             s.duration_ms)

    worker = Worker(settings, processor, on_settled=record)
    restore = worker.install_signal_handlers()
    try:
        stats = worker.run(burst=burst, max_messages=max_messages)
    finally:
        restore()
        processor.close()
    log.info("worker.stopped", handled=stats.handled, outcomes=dict(stats.outcomes),
             reconnects=stats.reconnects, reason=stats.stopped_because)
    if "second signal" in stats.stopped_because:
        click.get_current_context().exit(143)
