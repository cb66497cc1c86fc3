"""``hfexact worker [--burst] [--max-messages N] [--metrics-port N]``: consume ``<P>.exact``.

SIGTERM/SIGINT finish the message in hand and stop; a second signal stops at once. With
``--metrics-port`` (or ``HFEXACT_METRICS_PORT``) the process serves Prometheus metrics at
``/metrics`` and its health at ``/healthz`` (see ``hfexact.metrics`` and ``hfexact.health``).
Exit codes:
0 stopped normally, 2 configuration error, 3 Exact authorization lost (run ``hfexact auth
login``), 143 stopped at once by a second signal.
"""

from __future__ import annotations

import os
from typing import Any

import click

from hfexact import crashpoints
from hfexact.amqp.connection import connect
from hfexact.config import Settings
from hfexact.cpu import choose_cpu, keep_process_on
from hfexact.errors import AuthorizationLost
from hfexact.logs import configure, get_logger
from hfexact.worker_loop import Settled, Worker

METRICS_HOST_HELP = "Address for --metrics-port; 0.0.0.0 for a Prometheus on another machine."


def metrics_options(f: Any) -> Any:
    """``--metrics-port`` and ``--metrics-host``, shared by the worker and the poller."""
    f = click.option("--metrics-host", default="127.0.0.1", show_default=True,
                     help=METRICS_HOST_HELP)(f)
    return click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
                        metavar="PORT",
                        help="Serve Prometheus metrics (/metrics) and health (/healthz) on "
                             "this port; 0 picks a free one (logged). Default: "
                             "HFEXACT_METRICS_PORT, or none.")(f)


@click.command("worker")
@click.option("--burst", is_flag=True,
              help="Drain the queue (and its pending retries), then exit.")
@click.option("--max-messages", type=click.IntRange(min=1), default=None,
              help="Stop after handling N messages.")
@metrics_options
@click.pass_obj
def worker_cmd(app: Any, burst: bool, max_messages: int | None, metrics_port: int | None,
               metrics_host: str) -> None:
    """Consume HostFact events and book them in Exact Online."""
    settings: Settings = app.settings
    configure(settings.log_format, settings.log_level)
    log = get_logger("hfexact.worker")
    # test-only fault hook: HFEXACT_CRASH_AT arms kill -9 points (never set in production)
    crashpoints.arm_from(os.environ)
    if crashpoints.armed():
        log.warning("worker.crash_points_armed", points=os.environ.get("HFEXACT_CRASH_AT"),
                    poison=os.environ.get("HFEXACT_POISON_EVENT_IDS"))
    cpu = choose_cpu(settings.worker_cpu)
    if cpu is not None:  # before any thread of ours starts: they all inherit it
        keep_process_on(cpu)
    log.info("worker.cpu", cpu="any" if cpu is None else cpu, setting=settings.worker_cpu)
    from hfexact.store import with_stored_division

    settings = with_stored_division(settings)  # `auth login --division` when the env names none
    settings.require("exact_client_id", "exact_division")  # both named at once when missing
    from hfexact.processing import build_processor

    processor = build_processor(settings)
    store = processor.store
    assert settings.exact_client_id is not None
    if store.token_info(settings.exact_client_id) is None:  # say so now, not at the 1st event
        processor.close()
        raise AuthorizationLost(f"Exact is not connected yet: no tokens are stored for client "
                                f"{settings.exact_client_id!r} in HFEXACT_STORE_URL")

    def record(s: Settled) -> None:
        store.record_outcome(s.event_id, s.event_type, s.outcome, s.hostfact_code, s.exact_id,
                             s.duration_ms)

    def open_connection() -> Any:
        return connect(settings.amqp_url, name="hfexact worker")

    port = metrics_port if metrics_port is not None else settings.metrics_port
    telemetry = None
    if port is not None:
        from hfexact.metrics import Telemetry

        telemetry = Telemetry.for_worker(settings, processor, host=metrics_host, port=port)
        on_settled = telemetry.on_settled(record)
        open_connection = telemetry.health.wrap_connect(open_connection)
    else:
        on_settled = record
    worker = Worker(settings, processor, on_settled=on_settled, connect=open_connection)
    restore = worker.install_signal_handlers()
    try:
        stats = worker.run(burst=burst, max_messages=max_messages)
    finally:
        restore()
        if telemetry is not None:
            telemetry.stop()
        processor.close()
    log.info("worker.stopped", handled=stats.handled, outcomes=dict(stats.outcomes),
             reconnects=stats.reconnects, reason=stats.stopped_because)
    if "second signal" in stats.stopped_because:
        click.get_current_context().exit(143)
