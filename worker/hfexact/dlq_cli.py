"""``hfexact dlq list|show|replay|purge``: inspect and replay dead-lettered events.

Replay republishes to ``<P>.events`` with the original routing key and message id after the
broker confirmed it, and only then removes the letter; replaying twice lands once (the worker's
bindings make a repeated event a no-op). Exit codes: 0 done, 1 an id was not found.
"""

from __future__ import annotations

import json
import time
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from hfexact.amqp.cli import broker
from hfexact.amqp.dead_letters import DeadLetter, DeadLetterQueue
from hfexact.config import Settings

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
        click.echo(json.dumps([_summary(d, now) for d in letters], indent=2, default=str))
        return
    if not letters:
        click.echo(f"no dead letters in {settings.amqp_prefix}.exact.dead")
        return
    table = Table("id", "type", "HostFact code", "error", "reason", "attempts", "age",
                  title=f"{len(letters)} dead letter(s) in {settings.amqp_prefix}.exact.dead")
    for d in letters:
        table.add_row(d.id, d.type or d.routing_key, d.hostfact_code or "", d.kind,
                      _short(d.reason), str(d.attempts), humanize_age(d.age_seconds(now)))
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)  # piped or captured: do not wrap ids
    console.print(table)


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(d: DeadLetter, now: float) -> dict[str, Any]:
    return {"id": d.id, "message_id": d.message_id, "type": d.type, "routing_key": d.routing_key,
            "hostfact_code": d.hostfact_code, "error": d.kind, "reason": d.reason,
            "messages": d.messages, "attempts": d.attempts,
            "failed_at": d.failed_at.isoformat() if d.failed_at else None,
            "age_seconds": d.age_seconds(now)}


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
        summary = _summary(d, now)
        for key in ("id", "type", "routing_key", "hostfact_code", "error", "reason", "attempts",
                    "failed_at"):
            click.echo(f"{key + ':':15} {summary[key] if summary[key] is not None else ''}")
        click.echo(f"{'age:':15} {humanize_age(summary['age_seconds'])}")
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
    with broker(settings, "hfexact dlq") as connection:
        dlq = _queue(connection, settings)
        total = dlq.count() if replay_all else len(ids)
        show = total >= PROGRESS_FROM
        with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(),
                      disable=not show, transient=True) as progress:
            task = progress.add_task("replay", total=total)
            report = dlq.replay(None if replay_all else set(ids),
                                on_progress=lambda n, of: progress.update(task, completed=n,
                                                                          total=of))
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
