"""``hfexact status``: is the bridge healthy, and if not, where does it hurt?

Queue depths (passive declares: nothing is created), dead letters, Exact's rate budget left per
division (minute and day), access-token expiry and the last success per event type from the
store. What cannot be read is reported as a problem, not a crash. Exit codes: 0 healthy,
1 dead letters waiting or a part could not be read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pika.exceptions
from rich.console import Console
from rich.table import Table

from hfexact.amqp import topology
from hfexact.amqp.cli import retry_ladder
from hfexact.amqp.connection import connect
from hfexact.config import Settings
from hfexact.errors import BridgeError


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
    except BridgeError as exc:
        problems.append(f"RabbitMQ: {exc}")
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


def _open_store(settings: Settings, problems: list[str]) -> Any:
    if settings.store_url.startswith("sqlite:///"):
        path = Path(settings.store_url.removeprefix("sqlite:///"))
        if not path.exists():
            problems.append(f"store: {path} does not exist yet (the worker creates it)")
            return None
    try:
        from hfexact.store import open_store, secret_key_from_settings

        return open_store(settings.store_url, secret_key=secret_key_from_settings(settings))
    except BridgeError as exc:
        problems.append(f"store: {exc}")
        return None


def store_state(settings: Settings, problems: list[str], now: float) -> dict[str, Any]:
    store = _open_store(settings, problems)
    if store is None:
        return {}
    try:
        budgets = store.list_budgets()
        divisions = set(budgets) | set(settings.divisions.values())
        if settings.exact_division is not None:
            divisions.add(settings.exact_division)
        rate = {}
        for division in sorted(divisions):
            b = budgets.get(division)
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
        last = {t: d.isoformat() for t, d in sorted(store.last_success_by_type().items())}
        return {"rate_budget": rate, "token": token, "last_success": last}
    except BridgeError as exc:
        problems.append(f"store: {exc}")
        return {}
    finally:
        store.close()


def _until(at: float | None, now: float) -> int | None:
    return None if at is None else max(0, round(at - now))


def collect(settings: Settings, *, clock: Callable[[], float] = time.time) -> dict[str, Any]:
    problems: list[str] = []
    now = clock()
    report: dict[str, Any] = {"prefix": settings.amqp_prefix,
                              "queues": queue_depths(settings, problems)}
    report.update(store_state(settings, problems, now))
    dead = report["queues"].get("dead_letters", {}).get("messages", 0)
    report["dead_letters"] = dead
    report["problems"] = problems
    report["healthy"] = not problems and dead == 0
    return report


def render(report: dict[str, Any], console: Console) -> None:
    queues = Table("queue", "messages", "consumers", title=f"prefix {report['prefix']}")
    for key, value in report["queues"].items():
        queues.add_row(key, str(value["messages"]), str(value["consumers"]))
    console.print(queues)
    if report.get("rate_budget") is not None:
        budget = Table("division", "minute left", "resets in", "day left", "resets in",
                       title="Exact rate budget")
        for division, b in report["rate_budget"].items():
            if b is None:
                budget.add_row(division, "unknown", "", "unknown", "")
                continue
            budget.add_row(division, f"{b['minute_remaining']}/{b['minute_limit']}",
                           _secs(b["minute_resets_in"]), f"{b['day_remaining']}/{b['day_limit']}",
                           _secs(b["day_resets_in"]))
        console.print(budget)
    token = report.get("token")
    if token:
        state = (f"expires in {token['expires_in']}s" if token["expires_in"] > 0
                 else f"expired {-token['expires_in']}s ago (refreshed on next use)")
        console.print(f"access token: {state}; refresh token "
                      f"{'stored, encrypted' if token['encrypted'] else 'stored'}")
    if report.get("last_success"):
        last = Table("event type", "last success", title="last success per type")
        for event_type, at in report["last_success"].items():
            last.add_row(event_type, at)
        console.print(last)
    console.print(f"dead letters: {report['dead_letters']}")
    for problem in report["problems"]:
        console.print(f"[red]problem:[/red] {problem}")


def _secs(value: int | None) -> str:
    return "" if value is None else f"{value}s"


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def status_cmd(app: Any, as_json: bool) -> None:
    """Queue depths, dead letters, rate budget per division, token expiry, last success."""
    report = collect(app.settings)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        console = Console()
        render(report, console if console.is_terminal else Console(width=160))
    if not report["healthy"]:
        click.get_current_context().exit(1)
