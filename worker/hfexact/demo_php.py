"""The demo's HostFact side: the stand-in and the PHP bridge scripts, run as an operator would.

Each call is one ``php`` process with the ``HFEXACT_*`` environment of the demo's HostFact: a
SQLite database in the demo's directory, the stand-in as ``HFEXACT_HOSTFACT_BOOTSTRAP``, and
``HFEXACT_STANDIN_ROOT`` pointing at the HostFact directory whose ``/Pro/includes/hooks.php``
``bin/install.php`` wrote, so hooks fire exactly as in HostFact.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfexact.errors import BridgeError

#: the repository's php-bridge directory (the demo runs from a checkout)
PHP_BRIDGE = Path(__file__).resolve().parents[2] / "php-bridge"

#: exit codes of the bin/ scripts worth naming
EX_TEMPFAIL = 75  # broker unreachable: rows wait
EX_CONFIG = 78


class DemoStepFailed(BridgeError):
    """A step of the demo did not complete; the message says which and what to do."""

    kind = "demo_failed"


@dataclass(frozen=True)
class PhpRun:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class PhpHostFact:
    """Runs php-bridge/bin/* and the stand-in's demo-company script against one HostFact."""

    def __init__(self, directory: Path, *, amqp_url: str, prefix: str, installation: str,
                 php: str | None = None, bridge_dir: Path = PHP_BRIDGE,
                 timeout: float = 120.0) -> None:
        found = php or shutil.which("php")
        if not found:
            raise DemoStepFailed("PHP is not installed: `apt-get install php-cli php-sqlite3 "
                                 "php-amqplib` (Debian 12), then run the demo again")
        self.php = found
        self.bridge_dir = bridge_dir
        self.root = directory / "hostfact"
        self.database = directory / "hostfact.sqlite3"
        self.timeout = timeout
        self.env = {
            "HFEXACT_AMQP_URL": amqp_url,
            "HFEXACT_AMQP_PREFIX": prefix,
            "HFEXACT_INSTALLATION": installation,
            "HFEXACT_DB_DSN": f"sqlite:{self.database}",
            "HFEXACT_HOSTFACT_BOOTSTRAP": str(bridge_dir / "standin" / "bootstrap.php"),
            "HFEXACT_STANDIN_ROOT": str(self.root),
            "HFEXACT_SPOOL_DIR": str(directory / "spool"),
            # never pick up an operator's php-bridge/config.local.php
            "HFEXACT_CONFIG_FILE": str(directory / "no-config.php"),
            "HFEXACT_CONFIRM_TIMEOUT": "10",
            # PHP's lock files (relay, results, HostFact's API lock) stay in the demo's directory
            "TMPDIR": str(directory / "tmp"),
        }
        (directory / "tmp").mkdir(parents=True, exist_ok=True)

    def run(self, script: str, *args: str, what: str) -> PhpRun:
        """Run ``php <script> args``; a failure raises DemoStepFailed naming ``what``."""
        command = (self.php, str(self.bridge_dir / script), *args)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **self.env}
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True,
                                  timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise DemoStepFailed(f"{what}: php {script} did not finish within "
                                 f"{self.timeout:g} s") from exc
        run = PhpRun(tuple(args), done.returncode, done.stdout, done.stderr)
        if done.returncode == EX_TEMPFAIL:
            raise DemoStepFailed(f"{what}: RabbitMQ did not take the messages "
                                 f"({last_line(done.stderr)}); {RABBITMQ_HINT}")
        if done.returncode != 0:
            raise DemoStepFailed(f"{what}: php {script} exited with {done.returncode}: "
                                 f"{last_line(done.stderr) or last_line(done.stdout)}")
        return run

    def check(self) -> None:
        """PHP has what the bridge needs (PDO SQLite, php-amqplib), or say how to get it."""
        probe = ("require $argv[1]; $m = [];"
                 " if (!extension_loaded('pdo_sqlite')) { $m[] = 'php-sqlite3'; }"
                 " if (!extension_loaded('mbstring')) { $m[] = 'php-mbstring'; }"
                 " if (!class_exists('PhpAmqpLib\\Connection\\AMQPStreamConnection')) {"
                 " $m[] = 'php-amqplib'; } echo implode(' ', $m);")
        try:
            done = subprocess.run((self.php, "-r", probe, str(self.bridge_dir / "autoload.php")),
                                  capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DemoStepFailed(f"PHP at {self.php} does not run: {exc}") from exc
        missing = done.stdout.split()
        if done.returncode != 0 or missing:
            what = " ".join(missing) or last_line(done.stderr) or f"exit {done.returncode}"
            raise DemoStepFailed(f"PHP lacks what the bridge needs: {what}; install it with "
                                 f"`sudo apt-get install {' '.join(missing) or 'php-cli'}` "
                                 "(Debian 12) or run `make setup`")

    # -- the operator's commands ---------------------------------------------------------------
    def install(self) -> PhpRun:
        (self.root / "Pro" / "includes").mkdir(parents=True, exist_ok=True)
        return self.run("bin/install.php", "--hostfact", str(self.root),
                        what="installing the bridge into HostFact")

    def build_company(self, *, invoices: int = 50, today: str | None = None) -> dict[str, Any]:
        args = ["build", f"--invoices={invoices}"] + ([f"--today={today}"] if today else [])
        made: dict[str, Any] = self.run("standin/bin/demo-company.php", *args,
                                        what="creating the sample company in HostFact").json()
        return made

    def relay(self) -> PhpRun:
        return self.run("bin/relay.php", "--once", what="relaying HostFact's events")

    def results(self, idle: float = 0.5) -> PhpRun:
        return self.run("bin/results.php", "--once", "--idle", f"{idle:g}",
                        what="applying Exact's results in HostFact")

    def reverse(self, invoice_code: str, reason: str = "MD06") -> PhpRun:
        """The bank's storno of a collected invoice (HostFact reopens it, fires the hook)."""
        return self.run("standin/bin/demo-company.php", "reverse", f"--invoice={invoice_code}",
                        f"--reason={reason}", what=f"reversing the direct debit of {invoice_code}")

    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = self.run("standin/bin/demo-company.php", "report",
                                        what="reading HostFact's records").json()
        return data


RABBITMQ_HINT = ("is RabbitMQ running? Start it with `make services` (or `sudo systemctl start "
                 "rabbitmq-server`; here `rabbitmq-server -detached`) and check HFEXACT_AMQP_URL")


def log_records(text: str, event: str) -> list[dict[str, Any]]:
    """The bridge's JSON log lines (stderr) for one event name, e.g. ``relay.pass_finished``."""
    found: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == event:
            found.append(record)
    return found


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[-1]
    try:  # the bridge logs JSON lines: show the error in words
        record = json.loads(line)
    except ValueError:
        return line[:400]
    if isinstance(record, dict):
        return str(record.get("error") or record.get("event") or line)[:400]
    return line[:400]
