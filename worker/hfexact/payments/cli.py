"""``hfexact payments poll [--watch SECONDS] [--once] [--reconcile] [--json] [--metrics-port N]``.

With ``--watch``, ``--metrics-port`` serves Prometheus metrics (Exact calls, rate budget, token,
queues, poll rounds and payment results published) and ``/healthz`` (200 while poll rounds end
in time). ``--reconcile`` shows progress with counts on a terminal and logs it otherwise.

Exit codes: 0 polled (a division skipped for its rate budget is normal), 1 a division failed
(Exact unavailable, ...) or ``--reconcile`` found differences, 2 configuration, 3 Exact
authorization lost (from the top-level ``hfexact`` command).
"""

from __future__ import annotations

import json
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from hfexact.config import Settings
from hfexact.errors import TransientError
from hfexact.exact.client import ExactClient
from hfexact.logs import configure
from hfexact.payments.clients import ExactClients
from hfexact.payments.poller import DivisionReport, Poller, PollReport, as_dict
from hfexact.payments.publish import amqp_sink
from hfexact.payments.reconcile import ReconcileReport, reconcile
from hfexact.progress import ProgressReporter
from hfexact.store import Store, open_configured_store, with_stored_division
from hfexact.worker_cli import metrics_options

if TYPE_CHECKING:
    from hfexact.metrics import Telemetry


@click.group("payments")
def payments_group() -> None:
    """Payments back: Exact's matched payments -> HostFact paid, part paid or open again."""


def _summary(d: DivisionReport) -> str:
    results = ", ".join(f"{n} {t.removeprefix('payment.')}" for t, n in sorted(d.results.items()))
    text = (f"division {d.division} ({', '.join(d.installations)}): {d.exact_calls} Exact "
            f"call(s), {d.rows} changed term(s), published {sum(d.results.values())}"
            + (f" ({results})" if results else "") + f"; cursor {d.cursor_after}")
    if d.skipped:
        text += f"; skipped: {d.skipped}"
    if d.error:
        text += f"; error: {d.error}"
    return text


def _print_poll(report: PollReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(as_dict(report)))
        return
    for installation, why in sorted(report.not_polled.items()):
        click.echo(f"installation {installation}: not polled: {why}")
    for division in report.divisions:
        click.echo(_summary(division))


def _print_reconcile(report: ReconcileReport, console: Console, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({
            "compared": report.compared, "exact_calls": report.exact_calls,
            "skipped": report.skipped,
            "differences": [{"installation": d.subject.installation, "kind": d.subject.kind,
                             "hostfact_id": d.subject.hostfact_id,
                             "invoice_code": d.subject.invoice_code,
                             "entry_number": d.subject.entry_number, "hostfact": d.hostfact,
                             "exact": d.exact, "note": d.note} for d in report.differences],
        }))
        return
    for what, why in sorted(report.skipped.items()):
        console.print(f"installation {what}: not compared: {why}")
    if report.differences:
        table = Table("installation", "invoice", "Exact entry", "HostFact was told", "Exact",
                      "difference", title="Payments: HostFact and Exact disagree")
        for d in report.differences:
            table.add_row(d.subject.installation, d.subject.invoice_code,
                          str(d.subject.entry_number or ""), d.hostfact, d.exact, d.note)
        console.print(table)
    console.print(f"{report.compared} exported invoice(s) compared with Exact's open items "
                  f"({report.exact_calls} Exact call(s)): {len(report.differences)} "
                  f"difference(s)")


class _Stop:
    """SIGTERM/SIGINT end ``--watch`` after the current poll."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        def handler(_signum: int, _frame: FrameType | None) -> None:
            self.event.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, handler)


class _ObservedClients(ExactClients):
    """ExactClients whose clients report every REST call to the metrics."""

    def __init__(self, settings: Settings, store: Store, telemetry: Telemetry) -> None:
        super().__init__(settings, store)
        self._telemetry = telemetry

    def __call__(self, keep_minute: int) -> ExactClient:
        client = super().__call__(keep_minute)
        self._telemetry.observe(client)
        return client


def _poll_once(settings: Settings, store: Store,
               clients: ExactClients) -> tuple[PollReport, Poller]:
    with amqp_sink(settings) as sink:
        poller = Poller(settings, store, clients, sink)
        return poller.poll(), poller


@payments_group.command("poll")
@click.option("--watch", "watch", type=click.FloatRange(min=1.0), default=None,
              metavar="SECONDS", help="Poll again every SECONDS until stopped (SIGTERM).")
@click.option("--once", is_flag=True, help="Poll once and exit (the default).")
@click.option("--reconcile", "do_reconcile", is_flag=True,
              help="Compare every exported invoice with Exact's open items; publish nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@metrics_options
@click.pass_obj
def poll_cmd(app: Any, watch: float | None, once: bool, do_reconcile: bool,
             as_json: bool, metrics_port: int | None, metrics_host: str) -> int:
    """Read payment state from Exact and publish payment results for HostFact."""
    if once and watch is not None:
        raise click.UsageError("--once and --watch exclude each other")
    settings: Settings = app.settings
    port = metrics_port if metrics_port is not None else settings.metrics_port
    if metrics_port is not None and watch is None:
        raise click.UsageError("--metrics-port needs --watch (a single poll ends at once)")
    configure(settings.log_format, settings.log_level)
    settings.require("exact_client_id", "exact_client_secret")
    settings = with_stored_division(settings)  # `auth login --division` when the env names none
    store = open_configured_store(settings)
    telemetry = None
    if watch is not None and port is not None and not do_reconcile:
        from hfexact.metrics import Telemetry

        telemetry = Telemetry.start(settings, store=store, needs_connection=False,
                                    host=metrics_host, port=port,
                                    max_tick_age=2 * watch + 300)
        clients: ExactClients = _ObservedClients(settings, store, telemetry)
    else:
        clients = ExactClients(settings, store)
    try:
        if do_reconcile:
            return _reconcile(settings, store, clients, as_json)
        if watch is None:
            report, _ = _poll_once(settings, store, clients)
            _print_poll(report, as_json)
            return 1 if report.errors else 0
        return _watch(settings, store, clients, watch, as_json, telemetry)
    finally:
        if telemetry is not None:
            telemetry.stop()
        clients.close()
        store.close()


def _reconcile(settings: Settings, store: Store, clients: ExactClients, as_json: bool) -> int:
    console = Console(stderr=as_json)
    # counts and ETA: a bar on a terminal, progress.update log lines otherwise
    with ProgressReporter("payments reconcile", None, console=Console(stderr=True),
                          transient=True) as progress:

        def show(what: str, done: int, total: int) -> None:
            progress.total = total or None  # reading pages: no total; comparing: invoices
            progress.update(done, note=what + ("" if total else f" (page {done})"))

        report = reconcile(settings, store, clients, progress=show)
    _print_reconcile(report, console, as_json)
    return 1 if report.differences else 0


def _watch(settings: Settings, store: Store, clients: ExactClients, interval: float,
           as_json: bool, telemetry: Telemetry | None = None) -> int:
    stop = _Stop()
    stop.install()
    if telemetry is not None:
        telemetry.health.tick()
    while not stop.event.is_set():
        try:
            report, poller = _poll_once(settings, store, clients)
        except TransientError as exc:  # RabbitMQ away: nothing saved, try again later
            click.echo(f"poll failed, nothing was saved: {exc}", err=True)
            if telemetry is not None:
                telemetry.metrics.poll_round(failed=True)
            stop.event.wait(interval)
            continue
        if telemetry is not None:
            telemetry.metrics.poll_round(failed=bool(report.errors), report=report)
            telemetry.health.tick()
        _print_poll(report, as_json)
        stop.event.wait(poller.next_poll_in(report, interval))
    return 0
