"""``hfexact backfill plan`` and ``hfexact backfill run``: the first export under Exact's limit.

``plan`` reads how many records wait (the PHP backfill's dry run, ``--php-json FILE`` from it,
or counts given as options) and the division's budget from the store, and prints the calls,
the days and the expected finish, leaving ``HFEXACT_BACKFILL_HEADROOM_SHARE`` of every window
free. ``run`` is the worker, paced at that share, with a progress bar and ETA; start it after
``php php-bridge/bin/backfill.php --since DATE`` has published the records.

Exit codes: 0 done (or, with ``--stop-when-spent``, today's share used), 2 usage/configuration.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from hfexact.backfill.pacing import keeps
from hfexact.backfill.plan import TYPES, CallCosts, Plan, make_plan
from hfexact.backfill.sources import (
    DEFAULT_SCRIPT,
    code_masks,
    counts_from_php,
    limits_from_store,
    load_php_json,
    run_php_dry_run,
)
from hfexact.config import Settings
from hfexact.errors import ConfigError
from hfexact.store import open_configured_store, with_stored_division


@click.group("backfill")
def backfill_group() -> None:
    """The first export: plan it under Exact's daily limit, then run it at the budget."""


def _headroom(settings: Settings, value: float | None) -> float:
    headroom = settings.backfill_headroom_share if value is None else value
    if not 0.0 <= headroom < 1.0:
        raise ConfigError(["the headroom share must be at least 0 and below 1"])
    return headroom


def _counts(since: str | None, php_json: str | None, given: dict[str, int | None],
            php: str, script: Path, include_queued: bool) -> tuple[dict[str, int], str]:
    typed = {k: v for k, v in given.items() if v is not None}
    if php_json is not None:
        counts = counts_from_php(load_php_json(php_json), include_queued=include_queued)
        source = f"PHP backfill dry run ({php_json})"
    elif since is not None:
        counts = counts_from_php(run_php_dry_run(since, php=php, script=script),
                                 include_queued=include_queued)
        source = f"php {script} --since {since} --dry-run --json"
    elif typed:
        return {k: typed.get(k, 0) for k in TYPES}, "counts given on the command line"
    else:
        raise click.UsageError("say what waits: --since DATE (runs the PHP backfill's dry run), "
                               "--php-json FILE, or counts such as --invoices 12000")
    counts.update(typed)  # counts given explicitly override the PHP ones
    return {k: counts.get(k, 0) for k in TYPES}, source


@backfill_group.command("plan")
@click.option("--since", metavar="YYYY-MM-DD", help="Run the PHP backfill's dry run from DATE.")
@click.option("--php-json", metavar="FILE",
              help="Output of `backfill.php --since DATE --dry-run --json` ('-': stdin).")
@click.option("--debtors", type=click.IntRange(min=0), help="Debtors to export.")
@click.option("--creditors", type=click.IntRange(min=0), help="Creditors to export.")
@click.option("--invoices", type=click.IntRange(min=0), help="Sales and credit invoices.")
@click.option("--purchase-invoices", type=click.IntRange(min=0), help="Purchase invoices.")
@click.option("--include-queued", is_flag=True,
              help="Also count rows the PHP outbox holds already (after --no-publish).")
@click.option("--headroom", type=float, default=None,
              help="Share of every window left free (default HFEXACT_BACKFILL_HEADROOM_SHARE).")
@click.option("--code-masks/--no-code-masks", "masks", default=None,
              help="Whether parties get codes from a mask (lookup + POST = 2 calls) or from "
                   "Exact (1 call); default: from the stored export settings.")
@click.option("--php", "php_bin", default="php", show_default=True, help="PHP binary.")
@click.option("--php-script", type=click.Path(path_type=Path), default=DEFAULT_SCRIPT,
              show_default=True, help="The PHP backfill script.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_obj
def plan_cmd(obj: Any, since: str | None, php_json: str | None, debtors: int | None,
             creditors: int | None, invoices: int | None, purchase_invoices: int | None,
             include_queued: bool, headroom: float | None, masks: bool | None, php_bin: str,
             php_script: Path, as_json: bool) -> None:
    """How many Exact calls the backfill costs and when it finishes under the daily limit."""
    settings: Settings = obj.settings
    share = _headroom(settings, headroom)
    counts, source = _counts(since, php_json, {
        "debtors": debtors, "creditors": creditors, "invoices": invoices,
        "purchase_invoices": purchase_invoices}, php_bin, php_script, include_queued)
    settings = with_stored_division(settings)  # `auth login --division` when the env names none
    division = settings.division_for(settings.installation)
    store = open_configured_store(settings)
    try:
        now = time.time()
        limits = limits_from_store(store, division, now)
        stored_masks = code_masks(store, settings.installation)
    finally:
        store.close()
    if masks is not None:
        costs = CallCosts.for_masks(debtor_mask=masks, creditor_mask=masks)
    elif stored_masks is not None:
        costs = CallCosts.for_masks(debtor_mask=stored_masks[0], creditor_mask=stored_masks[1])
    else:
        costs = CallCosts()
    plan = make_plan(counts, limits, headroom=share, now=now, costs=costs)
    if as_json:
        click.echo(json.dumps({**plan.as_dict(), "division": division, "source": source,
                               "calls_per_record": {k: costs.of(k) for k in TYPES}}))
        return
    _print_plan(Console(), plan, costs, division, source)


def _print_plan(console: Console, plan: Plan, costs: CallCosts, division: int,
                source: str) -> None:
    table = Table(title=f"Backfill plan for division {division}", title_justify="left")
    table.add_column("records")
    table.add_column("waiting", justify="right")
    table.add_column("calls each", justify="right")
    table.add_column("calls", justify="right")
    for kind in TYPES:
        table.add_row(kind.replace("_", " "), f"{plan.counts.get(kind, 0):,}",
                      f"{costs.of(kind):g}", f"{plan.calls_by_type[kind]:,}")
    table.add_row("[bold]total", f"{sum(plan.counts.values()):,}", "",
                  f"[bold]{plan.calls:,}")
    console.print(table)
    limits = plan.limits
    origin = "as Exact last reported" if limits.known else "Exact's defaults (none stored yet)"
    left = "unknown (full)" if limits.day_remaining is None else f"{limits.day_remaining:,}"
    console.print(f"source: {source}")
    console.print(f"limits: {limits.minute_limit}/minute, {limits.day_limit:,}/day ({origin}); "
                  f"left today: {left}")
    console.print(f"headroom: {plan.headroom_share:.0%} kept free for live events and payment "
                  f"polling -> the backfill uses {plan.per_minute}/minute, "
                  f"{plan.per_day:,}/day; {plan.today:,} more today")
    finish = plan.finish.strftime("%Y-%m-%d %H:%M UTC")
    console.print(f"[bold]{plan.calls:,} calls over {plan.days} day(s); expected finish "
                  f"{finish}[/bold]")
    for note in plan.notes:
        console.print(f"note: {note}")


@backfill_group.command("run")
@click.option("--headroom", type=float, default=None,
              help="Share of every window left free (default HFEXACT_BACKFILL_HEADROOM_SHARE).")
@click.option("--total", type=click.IntRange(min=0), default=None,
              help="Events to expect (default: the queue's depth at the start).")
@click.option("--stop-when-spent", is_flag=True,
              help="Stop once today's share is used (run again after 00:00 UTC) instead of "
                   "waiting for the reset.")
@click.option("--no-progress", is_flag=True, help="No progress bar (logs only).")
@click.pass_obj
def run_cmd(obj: Any, headroom: float | None, total: int | None, stop_when_spent: bool,
            no_progress: bool) -> None:
    """Process the backfilled events at the budget, leaving the headroom free."""
    from hfexact.backfill.runner import run_backfill
    from hfexact.logs import configure

    settings: Settings = with_stored_division(obj.settings)
    share = _headroom(settings, headroom)
    console = Console(stderr=True)
    # on a terminal the bar shows progress (other info lines would break it); in a log the
    # progress.update lines are the progress, so info stays on
    quiet = not no_progress and console.is_terminal
    configure(settings.log_format, "warning" if quiet else settings.log_level)
    report = run_backfill(settings, headroom=share, total=total,
                          stop_when_spent=stop_when_spent, show_progress=not no_progress,
                          console=console)
    keep = f"kept free: {report.keep_minute}/minute, {report.keep_day:,}/day"
    click.echo(f"backfill: {report.handled:,} of {report.total:,} event(s) handled with "
               f"{report.exact_calls:,} Exact call(s) in {report.seconds:,.0f} s; {keep}; "
               f"stopped: {report.stopped_because or 'drained'}")
    if report.spent_until is not None:
        until = dt.datetime.fromtimestamp(report.spent_until, dt.UTC)
        click.echo(f"today's share is spent; the next calls after {until:%Y-%m-%d %H:%M} UTC")


__all__ = ["backfill_group", "keeps"]
