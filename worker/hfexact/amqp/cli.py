"""``hfexact topology declare|show|permissions``: the broker objects of one installation."""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import click
import pika.exceptions
from rich.console import Console
from rich.table import Table

from hfexact.amqp import topology
from hfexact.amqp.connection import connect
from hfexact.config import Settings
from hfexact.errors import TransientError


def retry_ladder(settings: Settings) -> tuple[int, ...]:
    return topology.retry_ladder_ms(settings.retry_base_seconds, settings.retry_max_seconds)


@contextlib.contextmanager
def broker(settings: Settings, name: str) -> Iterator[Any]:
    """An open connection for a command; an unreachable broker is a clean error (exit 1)."""
    try:
        connection = connect(settings.amqp_url, name=name)
    except TransientError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield connection
    except TransientError as exc:  # e.g. a republish the broker did not confirm
        raise click.ClickException(str(exc)) from exc
    except pika.exceptions.AMQPConnectionError as exc:
        raise click.ClickException(f"lost the connection to RabbitMQ: {exc!r}") from exc
    finally:
        with contextlib.suppress(pika.exceptions.AMQPError):
            if connection.is_open:
                connection.close()


@click.group("topology")
def topology_group() -> None:
    """Exchanges and queues of this installation (prefix HFEXACT_AMQP_PREFIX)."""


@topology_group.command("declare")
@click.pass_obj
def declare_cmd(app: Any) -> None:
    """Declare every exchange, queue and binding; safe to run again."""
    settings: Settings = app.settings
    with broker(settings, "hfexact topology") as connection:
        plan = topology.declare(connection.channel(), settings.amqp_prefix,
                                retry_delays_ms=retry_ladder(settings))
    click.echo(f"declared {len(plan.exchanges)} exchanges, {len(plan.queues)} queues and "
               f"{len(plan.bindings)} bindings under prefix {settings.amqp_prefix!r}")


@topology_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show_cmd(app: Any, as_json: bool) -> None:
    """Print what `declare` declares, with every argument (no broker needed)."""
    settings: Settings = app.settings
    plan = topology.plan(settings.amqp_prefix, retry_ladder(settings))
    if as_json:
        click.echo(json.dumps(plan.as_dict(), indent=2))
        return
    table = Table("kind", "name")
    table.add_column("arguments / binding", overflow="fold")
    for ex in plan.exchanges:
        table.add_row(f"{ex.type} exchange", ex.name, "durable")
    for q in plan.queues:
        args = ", ".join(f"{k}={v}" for k, v in q.arguments.items())
        table.add_row("queue", q.name, args)
    for b in plan.bindings:
        table.add_row("binding", b.queue, f"from {b.exchange} with {b.routing_key!r}")
    console = Console()
    (console if console.is_terminal else Console(width=160)).print(table)


@topology_group.command("permissions")
@click.option("--user", default="hfexact", show_default=True)
@click.option("--vhost", default=None, help="Defaults to the vhost of HFEXACT_AMQP_URL.")
@click.pass_obj
def permissions_cmd(app: Any, user: str, vhost: str | None) -> None:
    """Print rabbitmqctl commands for a least-privilege user of this installation."""
    settings: Settings = app.settings
    path = urlsplit(settings.amqp_url).path
    vhost = vhost or (unquote(path[1:]) if len(path) > 1 else "/")
    perms = topology.permissions(settings.amqp_prefix)
    click.echo(f"rabbitmqctl add_vhost {shlex.quote(vhost)}")
    click.echo(f"rabbitmqctl add_user {shlex.quote(user)} '<a long random password>'")
    click.echo(shlex.join(perms.command(vhost, user)))
