"""``hfexact dlq list|show|replay|purge``: inspect and replay dead-lettered events.

``list`` and ``show`` say what to do about each letter in plain English (``hfexact.advice``),
with Exact's own message passed through as Exact wrote it. Replay republishes to
``<P>.events`` with the original routing key and message id after the broker confirmed it,
and only then removes the letter; replaying twice lands once (the worker's bindings make a
repeated event a no-op). Long replays show progress with counts and ETA (a bar on a terminal,
``progress.update`` log lines otherwise). Exit codes: 0 done, 1 an id was not found.
"""

from __future__ import annotations

import json
import time
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hfexact.advice import Advice, Facts, advise, division_from_endpoint
from hfexact.amqp.cli import broker
from hfexact.amqp.dead_letters import DeadLetter, DeadLetterQueue
from hfexact.config import Settings
from hfexact.errors import ConfigError
from hfexact.logs import configure
from hfexact.progress import ProgressReporter

PROGRESS_FROM = 10  # show a progress bar from this many letters on


def humanize_age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _queue(connection: Any, settings: Settings) -> DeadLetterQueue:
    return DeadLetterQueue(connection, settings.amqp_prefix, clock=time.time)


def _installation(body: bytes) -> str | None:
    try:
        source = json.loads(body).get("source")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    value = source.get("installation") if isinstance(source, dict) else None
    return str(value) if value else None


def advice_for(d: DeadLetter, settings: Settings) -> Advice:
    """What to do about one letter; the division from Exact's endpoint or the settings."""
    division = None
    if isinstance(d.messages, dict):
        division = division_from_endpoint(str(d.messages.get("endpoint") or ""))
    if division is None:
        try:
            division = settings.division_for(_installation(d.body) or settings.installation)
        except ConfigError:
            division = None
    return advise(Facts(kind=d.kind, reason=d.reason, messages=d.messages, letter_id=d.id,
                        division=division, hostfact_code=d.hostfact_code,
                        event_type=d.type or d.routing_key))


@click.group("dlq")
def dlq_group() -> None:
    """Dead-lettered events: why they failed, and replay once the cause is fixed."""


@dlq_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most N.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_cmd(app: Any, limit: int | None, as_json: bool) -> None:
    """Id, type, HostFact code, reason and age of every dead letter."""
    settings: Settings = app.settings
    with broker(settings, "hfexact dlq") as connection:
        letters = _queue(connection, settings).browse(limit)
    now = time.time()
    if as_json:
        click.echo(json.dumps([_summary(d, now, advice_for(d, settings)) for d in letters],
                              indent=2, default=str, ensure_ascii=False))
        return
    if not letters:
        click.echo(f"no dead letters in {settings.amqp_prefix}.exact.dead")
        return
    table = Table("id", "type", "HostFact code", "error", "attempts", "age",
                  title=f"{len(letters)} dead letter(s) in {settings.amqp_prefix}.exact.dead",
                  show_lines=True)
    table.add_column("what happened, and what to do", ratio=1, overflow="fold")
    for d in letters:
        advice = advice_for(d, settings)
        said = f'\n[dim]Exact said:[/dim] "{escape(advice.exact_message)}"' \
            if advice.exact_message else ""
        table.add_row(d.id, d.type or d.routing_key, d.hostfact_code or "",
                      f"[red]{escape(d.kind)}[/red]", str(d.attempts),
                      humanize_age(d.age_seconds(now)),
                      f"{escape(advice.problem)}:\n[bold]{escape(advice.next_step(d.id))}[/bold]"
                      + said)
    console = Console()
    if not console.is_terminal:
        console = Console(width=240)  # piped or captured: do not wrap ids
    console.print(table)


def _summary(d: DeadLetter, now: float, advice: Advice) -> dict[str, Any]:
    return {"id": d.id, "message_id": d.message_id, "type": d.type, "routing_key": d.routing_key,
            "hostfact_code": d.hostfact_code, "error": d.kind, "reason": d.reason,
            "messages": d.messages, "attempts": d.attempts,
            "failed_at": d.failed_at.isoformat() if d.failed_at else None,
            "age_seconds": d.age_seconds(now),
            "problem": advice.problem, "what_to_do": advice.next_step(d.id),
            "exact_message": advice.exact_message}


@dlq_group.command("show")
@click.argument("letter_id")
@click.option("--body", "with_body", is_flag=True, help="Also print the event itself.")
@click.pass_obj
def show_cmd(app: Any, letter_id: str, with_body: bool) -> None:
    """Everything about one dead letter (its id, or the start of it)."""
    settings: Settings = app.settings
    with broker(settings, "hfexact dlq") as connection:
        found = _queue(connection, settings).find(letter_id)
    if not found:
        raise click.ClickException(f"no dead letter with id {letter_id!r}")
    now = time.time()
    for d in found:
        advice = advice_for(d, settings)
        summary = _summary(d, now, advice)
        for key in ("id", "type", "routing_key", "hostfact_code", "error", "reason", "attempts",
                    "failed_at"):
            click.echo(f"{key + ':':15} {summary[key] if summary[key] is not None else ''}")
        click.echo(f"{'age:':15} {humanize_age(summary['age_seconds'])}")
        click.echo(f"{'problem:':15} {advice.problem}")
        click.echo(f"{'what to do:':15} {advice.next_step(d.id)}")
        if advice.exact_message:
            click.echo(f"{'Exact said:':15} {advice.exact_message}")
        click.echo("messages:")
        click.echo(json.dumps(d.messages, indent=2, ensure_ascii=False, default=str))
        if with_body:
            click.echo("body:")
            try:
                click.echo(json.dumps(json.loads(d.body), indent=2, ensure_ascii=False))
            except ValueError:
                click.echo(repr(d.body[:4096]))
        if len(found) > 1:
            click.echo("---")


@dlq_group.command("replay")
@click.argument("ids", nargs=-1)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
@click.pass_obj
def replay_cmd(app: Any, ids: tuple[str, ...], replay_all: bool) -> None:
    """Republish dead letters to <P>.events (after the cause was fixed)."""
    settings: Settings = app.settings
    if bool(ids) == replay_all:
        raise click.UsageError("give the ids to replay, or --all")
    configure(settings.log_format, settings.log_level)
    with broker(settings, "hfexact dlq") as connection:
        dlq = _queue(connection, settings)
        total = dlq.count() if replay_all else len(ids)
        progress = ProgressReporter("dlq replay", total, transient=True,
                                    every_seconds=5.0) if total >= PROGRESS_FROM else None
        if progress is not None:
            with progress:
                report = dlq.replay(None if replay_all else set(ids),
                                    on_progress=lambda n, of: progress.update(n, of))
        else:
            report = dlq.replay(None if replay_all else set(ids))
    click.echo(f"replayed {len(report.replayed)} event(s) to {settings.amqp_prefix}.events")
    if report.duplicates_removed:
        click.echo(f"removed {report.duplicates_removed} extra copies of events replayed once")
    if report.not_found:
        click.echo(f"not found (already replayed or purged?): {', '.join(report.not_found)}",
                   err=True)
        click.get_current_context().exit(1)


@dlq_group.command("purge")
@click.argument("ids", nargs=-1)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def purge_cmd(app: Any, ids: tuple[str, ...], yes: bool) -> None:
    """Delete dead letters for good: the given ids, or all of them."""
    settings: Settings = app.settings
    what = f"{len(ids)} dead letter(s)" if ids else "ALL dead letters"
    if not yes:
        click.confirm(f"Delete {what} from {settings.amqp_prefix}.exact.dead for good?",
                      abort=True)
    with broker(settings, "hfexact dlq") as connection:
        removed = _queue(connection, settings).purge(set(ids) if ids else None)
    click.echo(f"purged {removed} dead letter(s)")
