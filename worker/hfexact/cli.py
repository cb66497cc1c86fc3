"""The ``hfexact`` command line: a thin shell over the modules that do the work.

Sub-commands are loaded lazily from the module that owns them, so ``hfexact validate`` does not
import pika and ``hfexact sandbox`` imports nothing from the worker.
Exit codes: 0 ok, 1 the command found a problem (invalid file, dead letters), 2 usage or
configuration error, 3 Exact authorization lost (run ``hfexact auth login``).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from hfexact.advice import explain
from hfexact.config import Settings
from hfexact.errors import AuthorizationLost, BridgeError, ConfigError

COMMANDS: dict[str, str] = {
    "validate": "hfexact.contract.cli:validate_cmd",
    "sandbox": "hfexact.sandbox.cli:sandbox_cmd",
    "topology": "hfexact.amqp.cli:topology_group",
    "worker": "hfexact.worker_cli:worker_cmd",
    "auth": "hfexact.exact.cli:auth_group",
    "dlq": "hfexact.dlq_cli:dlq_group",
    "status": "hfexact.status_cli:status_cmd",
    "payments": "hfexact.payments.cli:payments_group",
    "demo": "hfexact.demo:demo_cmd",
    "backfill": "hfexact.backfill_cli:backfill_group",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("hfexact"):
                return None  # not built yet
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command


class AppContext:
    """What every sub-command gets: the settings, built once and lazily."""

    def __init__(self, config_file: str | None) -> None:
        self.config_file = config_file
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env(os.environ, config_file=self.config_file)
        return self._settings


@click.group(cls=LazyGroup)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="TOML file with settings (keys as the HFEXACT_ variables, lower case).")
@click.version_option(package_name="hostfact-exact-bridge")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """Keep HostFact and Exact Online in step, event by event."""
    ctx.obj = AppContext(config_file)


def main(argv: list[str] | None = None) -> Any:
    try:
        rc = cli.main(args=argv, prog_name="hfexact", standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
        return rc
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except AuthorizationLost as exc:
        click.echo(f"error: {explain(exc)}", err=True)
        sys.exit(3)
    except BridgeError as exc:  # broker or store away, Exact unreachable: one sentence, no trace
        click.echo(f"error: {explain(exc)}", err=True)
        sys.exit(1)
