"""``hfexact sandbox``: run the Exact Online sandbox in the foreground until stopped.

Options may also come from the environment (read here, at the entry point, and nowhere else):
HFEXACT_SANDBOX_HOST, _PORT, _CLIENTS (whitespace-separated ID:SECRET[:DIVISIONS][:REDIRECT]),
_DIVISIONS (whitespace- or comma-separated), _MINUTELY, _DAILY, _ERROR_BUDGET (1/0), _TLS (1/0).

Output: the base URL on the first line; with ``--tls`` the CA bundle's path on the second.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

import click

from hfexact.sandbox.options import DEFAULT_DIVISION, parse_client
from hfexact.sandbox.server import base_url_of, build_options, make_sandbox_server
from hfexact.sandbox.tls import make_tls_files


def _divisions(values: tuple[str, ...]) -> list[int]:
    out: list[int] = []
    for value in values:
        for part in value.replace(",", " ").split():
            if not part.isdigit():
                raise click.BadParameter(f"division must be a number, got {part!r}")
            out.append(int(part))
    return out


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="HFEXACT_SANDBOX_HOST")
@click.option("--port", default=8765, show_default=True, type=int, envvar="HFEXACT_SANDBOX_PORT",
              help="0 picks a free port.")
@click.option("--client", "clients", multiple=True, envvar="HFEXACT_SANDBOX_CLIENTS",
              metavar="ID:SECRET[:DIVISIONS][:REDIRECT_URI]",
              help="Register an OAuth client (repeatable); 'demo:demo' is always there. "
                   "DIVISIONS limits it to those divisions ('*' = all); without REDIRECT_URI "
                   "any loopback redirect URI is accepted.")
@click.option("--division", "divisions", multiple=True, envvar="HFEXACT_SANDBOX_DIVISIONS",
              metavar="N", help=f"A division to seed (repeatable; default {DEFAULT_DIVISION}).")
@click.option("--minutely", default=60, show_default=True, type=int,
              envvar="HFEXACT_SANDBOX_MINUTELY", help="Calls per minute per client/division.")
@click.option("--daily", default=5000, show_default=True, type=int,
              envvar="HFEXACT_SANDBOX_DAILY", help="Calls per UTC day per client/division.")
@click.option("--error-budget/--no-error-budget", default=False, show_default=True,
              envvar="HFEXACT_SANDBOX_ERROR_BUDGET",
              help="Block an endpoint for an hour after more than 10 errors in an hour.")
@click.option("--tls/--no-tls", default=False, show_default=True, envvar="HFEXACT_SANDBOX_TLS",
              help="Serve HTTPS with a certificate from a CA made for this run; the CA bundle's "
                   "path is printed on the second line.")
@click.option("--verbose", is_flag=True, help="Log every request.")
def sandbox_cmd(host: str, port: int, clients: tuple[str, ...], divisions: tuple[str, ...],
                minutely: int, daily: int, error_budget: bool, tls: bool, verbose: bool) -> None:
    """Run the Exact Online sandbox (an emulator of Exact's REST API) and print its base URL."""
    try:
        specs = [parse_client(c) for c in clients]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--client") from exc
    numbers = _divisions(divisions) or [DEFAULT_DIVISION]
    options = build_options(clients=specs, divisions=numbers, minutely=minutely, daily=daily,
                            error_budget=error_budget, quiet=not verbose)
    files = make_tls_files(host) if tls else None
    try:
        server, _ = make_sandbox_server(host, port, options, files)

        def stop(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        click.echo(base_url_of(server))
        if files is not None:
            click.echo(str(files.ca_bundle))
        sys.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.1)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    finally:
        if files is not None:
            files.remove()
