"""``hfexact status``: is the bridge healthy, and if not, where does it hurt?

Queue depths (passive declares: nothing is created), dead letters, the queue lag, Exact's rate
budget left per division (minute and day), access-token expiry, whether each installation's
export settings were validated, and the last success per event type from the store. What
cannot be read is reported as a problem with the next step, not a crash. Colour on a terminal,
plain text in a pipe, ``--json`` for machines. Exit codes: 0 healthy, 1 something needs
attention (dead letters, invalid settings, a part that could not be read). Notes (events
waiting with no worker consuming them) are shown but do not make it unhealthy.

The queue lag is the time since the last event was settled while events wait in ``<P>.exact``
(0 when nothing waits): the age of the oldest message would need the management plugin, or a
``basic.get`` that counts as a delivery on a quorum queue.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pika.exceptions
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hfexact.amqp import topology
from hfexact.amqp.cli import retry_ladder
from hfexact.amqp.connection import connect
from hfexact.config import Settings
from hfexact.errors import BridgeError, ConfigError
from hfexact.store.budget import roll

QUEUE_NOTES = {
    "exact": "the worker's input",
    "retry": "waiting for a retry",
    "dead_letters": "failed for good: `hfexact dlq list`",
    "bridge_results": "results for HostFact (results.php)",
    "bridge_results_dead": "results HostFact could not take",
}


def queue_depths(settings: Settings, problems: list[str]) -> dict[str, Any]:
    names = topology.Names(settings.amqp_prefix)
    wanted = {
        "exact": names.exact,
        "retry": [names.retry_queue(d) for d in retry_ladder(settings)],
        "dead_letters": names.exact_dead,
        "bridge_results": names.bridge_results,
        "bridge_results_dead": names.bridge_results_dead,
    }
    out: dict[str, Any] = {}
    try:
        connection = connect(settings.amqp_url, name="hfexact status")
    except ConfigError as exc:
        problems.append(f"RabbitMQ: {'; '.join(exc.problems)}")
        return out
    except BridgeError as exc:
        problems.append(f"RabbitMQ: {exc.message}; start it or fix HFEXACT_AMQP_URL")
        return out
    try:
        for key, queue in wanted.items():
            total = consumers = 0
            for name in queue if isinstance(queue, list) else [queue]:
                channel = connection.channel()
                try:
                    ok = channel.queue_declare(name, passive=True)
                except pika.exceptions.ChannelClosedByBroker as exc:
                    error = topology.topology_error(f"queue {name!r}", exc)
                    problems.append(error.problems[0])
                    total = consumers = -1
                    break
                total += int(ok.method.message_count)
                consumers += int(ok.method.consumer_count)
                channel.close()
            out[key] = {"messages": total, "consumers": consumers}
    finally:
        if connection.is_open:
            connection.close()
    return out


def open_store_for_status(settings: Settings, problems: list[str]) -> Any:
    """The store, or None with the problem noted (a missing SQLite file is not created)."""
    if settings.store_url.startswith("sqlite:///"):
        path = Path(settings.store_url.removeprefix("sqlite:///"))
        if not path.exists():
            problems.append(f"store: {path} does not exist yet; run `hfexact auth login` "
                            "(or start the worker) to create it")
            return None
    try:
        from hfexact.store import open_store, secret_key_from_settings

        return open_store(settings.store_url, secret_key=secret_key_from_settings(settings))
    except BridgeError as exc:
        problems.append(f"store: {exc}")
        return None


def installations(settings: Settings) -> list[str]:
    return sorted({settings.installation, *settings.divisions})


def read_store(store: Any, settings: Settings, now: float, problems: list[str]) -> dict[str, Any]:
    """Budgets, token, settings validity, last success and last activity from an open store."""
    budgets = store.list_budgets()
    divisions = set(budgets) | set(settings.divisions.values())
    if settings.exact_division is not None:
        divisions.add(settings.exact_division)
    rate: dict[str, Any] = {}
    for division in sorted(divisions):
        b = budgets.get(division)
        if b is not None:
            b = roll(b, now)
        rate[str(division)] = None if b is None else {
            "minute_remaining": b.minute_remaining, "minute_limit": b.minute_limit,
            "minute_resets_in": _until(b.minute_reset_at, now),
            "day_remaining": b.day_remaining, "day_limit": b.day_limit,
            "day_resets_in": _until(b.day_reset_at, now),
        }
    token = None
    if settings.exact_client_id:
        info = store.token_info(settings.exact_client_id)
        token = None if info is None else {
            "expires_in": round(info.expires_at - now),
            "refresh_token": info.refresh_token_present, "encrypted": info.encrypted,
        }
        if info is None:
            problems.append("Exact: not connected; run `hfexact auth login`")
        elif not info.refresh_token_present:
            problems.append("Exact: no refresh token stored; run `hfexact auth login`")
    export_settings: dict[str, Any] = {}
    for name in installations(settings):
        stored = store.load_settings(name)
        if stored is None:
            export_settings[name] = None
            continue
        export_settings[name] = {"version": stored.version, "valid": stored.valid,
                                 "problems": list(stored.problems),
                                 "saved_at": stored.updated_at.isoformat()}
        if stored.valid is False:
            problems.append(f"export settings of {name} are invalid: "
                            + "; ".join(stored.problems)
                            + " (fix them on the bridge's settings page and save)")
    last = {t: d.isoformat() for t, d in sorted(store.last_success_by_type().items())}
    recent = store.recent_outcomes(1)
    last_activity = recent[0].at.timestamp() if recent else None
    return {"rate_budget": rate, "token": token, "export_settings": export_settings,
            "last_success": last, "last_activity": last_activity}


def store_state(settings: Settings, problems: list[str], now: float) -> dict[str, Any]:
    store = open_store_for_status(settings, problems)
    if store is None:
        return {}
    try:
        return read_store(store, settings, now, problems)
    except BridgeError as exc:
        problems.append(f"store: {exc}")
        return {}
    finally:
        store.close()


def _until(at: float | None, now: float) -> int | None:
    return None if at is None else max(0, round(at - now))


def queue_lag(waiting: int, last_activity: float | None, since: float | None,
              now: float) -> float | None:
    """Seconds since the last settled event while events wait; 0 with nothing waiting."""
    if waiting <= 0:
        return 0.0
    basis = last_activity if last_activity is not None else since
    return None if basis is None else max(0.0, now - basis)


def collect(settings: Settings, *, clock: Callable[[], float] = time.time) -> dict[str, Any]:
    problems: list[str] = []
    now = clock()
    report: dict[str, Any] = {"prefix": settings.amqp_prefix,
                              "queues": queue_depths(settings, problems)}
    report.update(store_state(settings, problems, now))
    queues = report["queues"]
    dead = queues.get("dead_letters", {}).get("messages", 0)
    report["dead_letters"] = dead
    waiting = queues.get("exact", {}).get("messages", 0)
    report["queue_lag_seconds"] = queue_lag(waiting, report.get("last_activity"), None, now)
    notes: list[str] = []  # worth a look, but not unhealthy (a worker may be restarting)
    exact = queues.get("exact")
    if exact and exact["messages"] > 0 and exact["consumers"] == 0:
        notes.append(f"{exact['messages']} event(s) wait and no worker consumes them: start "
                     "one (`systemctl start hfexact-worker@1` or `hfexact worker`)")
    report["notes"] = notes
    report["problems"] = problems
    report["healthy"] = not problems and dead == 0
    return report


# -- rendering ---------------------------------------------------------------------------------


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(seconds)
    if s >= 86400:
        return f"{s // 86400}d {s % 86400 // 3600}h"
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60}m"
    if s >= 60:
        return f"{s // 60}m {s % 60}s"
    return f"{s}s"


def _secs(value: int | None) -> str:
    return "" if value is None else _ago(value)


def _left(remaining: int | None, limit: int | None) -> str:
    if remaining is None:
        return "unknown"
    style = "red" if remaining <= 0 else "yellow" if limit and remaining < limit * 0.1 else "green"
    return f"[{style}]{remaining}[/{style}]/{limit if limit is not None else '?'}"


def render(report: dict[str, Any], console: Console) -> None:
    now = time.time()
    verdict = ("[bold green]healthy[/bold green]" if report["healthy"]
               else "[bold red]needs attention[/bold red]")
    console.print(f"hostfact-exact-bridge, prefix [bold]{escape(report['prefix'])}[/bold]: "
                  f"{verdict}")
    if report["queues"]:
        queues = Table("queue", "messages", "consumers", "what it holds", title="RabbitMQ",
                       title_justify="left")
        for key, value in report["queues"].items():
            n = value["messages"]
            style = ("red" if (key.endswith("dead") or key == "dead_letters") and n > 0
                     else "yellow" if n > 0 else "")
            shown = f"[{style}]{n}[/{style}]" if style else str(n)
            queues.add_row(key, shown, str(value["consumers"]), QUEUE_NOTES.get(key, ""))
        console.print(queues)
        lag = report.get("queue_lag_seconds")
        lag_text = "unknown" if lag is None else _ago(lag)
        console.print(f"queue lag: {lag_text} (time since the last settled event while events "
                      "wait)")
    if report.get("rate_budget") is not None:
        budget = Table("division", "minute left", "resets in", "day left", "resets in",
                       title="Exact rate budget", title_justify="left")
        for division, b in report["rate_budget"].items():
            if b is None:
                budget.add_row(division, "unknown (no call yet)", "", "unknown", "")
                continue
            budget.add_row(division, _left(b["minute_remaining"], b["minute_limit"]),
                           _secs(b["minute_resets_in"]), _left(b["day_remaining"], b["day_limit"]),
                           _secs(b["day_resets_in"]))
        console.print(budget)
    token = report.get("token")
    if token:
        state = (f"[green]expires in {_ago(token['expires_in'])}[/green]"
                 if token["expires_in"] > 0 else
                 f"expired {_ago(-token['expires_in'])} ago (refreshed on next use)")
        stored = ("stored, encrypted" if token["encrypted"]
                  else "[yellow]stored UNENCRYPTED[/yellow]")
        console.print(f"Exact access token: {state}; refresh token "
                      f"{stored if token['refresh_token'] else '[red]missing[/red]'}")
    if report.get("export_settings"):
        table = Table("installation", "settings version", "checked against Exact",
                      title="Export settings", title_justify="left")
        for name, s in report["export_settings"].items():
            if s is None:
                table.add_row(name, "-", "[yellow]none saved yet (settings page)[/yellow]")
                continue
            valid = {True: "[green]valid[/green]", False: "[red]invalid[/red]",
                     None: "[yellow]not checked yet[/yellow]"}[s["valid"]]
            table.add_row(name, escape(str(s["version"])), valid)
        console.print(table)
    if report.get("last_success"):
        last = Table("event type", "last success", "ago", title="Last success per type",
                     title_justify="left")
        for event_type, at in report["last_success"].items():
            ago = now - dt.datetime.fromisoformat(at).timestamp()
            last.add_row(event_type, at, _ago(ago))
        console.print(last)
    dead = report["dead_letters"]
    console.print(f"dead letters: [{'red' if dead else 'green'}]{dead}[/]"
                  + (" (see `hfexact dlq list`)" if dead else ""))
    for note in report.get("notes", ()):
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    for problem in report["problems"]:
        console.print(f"[red]problem:[/red] {escape(problem)}")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def status_cmd(app: Any, as_json: bool) -> None:
    """Queues, dead letters, lag, rate budget per division, token, settings, last success."""
    report = collect(app.settings)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        console = Console()
        render(report, console if console.is_terminal else Console(width=160))
    if not report["healthy"]:
        click.get_current_context().exit(1)
