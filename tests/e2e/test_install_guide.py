"""docs/install.md, run as an operator would: every ```sh test block, in order, in one shell.

The guide's paths are moved into a temporary directory (``RELOCATE``), `sudo` is a shim that just
runs the command (this machine's tests run as one user), and what the guide does in a browser
(``<!-- test: ... -->`` markers) the test does over HTTP: Exact's consent (the address
`hfexact auth login` prints), the bridge's settings page. HostFact is the stand-in with a company
that already has history, one invoice of which HostFact's own Exact export booked before the
cut-over; Exact is the sandbox; RabbitMQ is the machine's broker, with the installation's own
least-privilege user in the shared test vhost (created from what `hfexact topology permissions`
printed; vhosts are never created per test, see tests/integration/amqp_fixtures.py).

Blocks not marked ``test`` (packages, users, systemd, docker) are checked instead: shell syntax,
every `hfexact` command parses, files, units, compose services and Debian packages they name
exist, and the systemd units pass `systemd-analyze verify`.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import shutil
import socket
import subprocess
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.fixtures.sandbox import (  # noqa: F401 - fixtures sandbox and sandbox_server
    DIVISION,
    SandboxControl,
    sandbox_fixture,
    sandbox_server_fixture,
)

if TYPE_CHECKING:
    from tests.integration.amqp_fixtures import AmqpTracker, AmqpVhost

pytest_plugins = ("tests.integration.amqp_fixtures",)
pytestmark = [pytest.mark.integration, pytest.mark.php, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "install.md"
VENV = ROOT / ".venv"
SETTINGS_PAGE_PORT = "127.0.0.1:8090"
SINCE = "2026-01-01"


# -- reading the guide -------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    info: str
    text: str
    line: int

    @property
    def runs(self) -> bool:
        return self.info == "sh test"


@dataclass(frozen=True)
class Marker:
    name: str
    line: int


FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.M | re.S)
MARKER = re.compile(r"^<!-- test: (?P<name>.+?) -->$", re.M)


def read_guide(text: str) -> list[Block | Marker]:
    items: list[tuple[int, Block | Marker]] = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        body = textwrap.dedent(m.group("indent") + m.group("body").replace(
            "\n" + m.group("indent"), "\n"))
        items.append((m.start(), Block(m.group("info").strip(), body, line)))
    for m in MARKER.finditer(text):
        items.append((m.start(), Marker(m.group("name"), text.count("\n", 0, m.start()) + 1)))
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def commands(block: str) -> Iterator[list[str]]:
    """Simple commands of a shell block, tokenised with quotes respected and split at ``&&``,
    ``||``, ``;``, ``|`` and parentheses; ``sudo [-u USER]`` and ``exec`` prefixes dropped."""
    operators = {"&&", "||", ";", "|", "(", ")", "&", ";;"}
    for raw in block.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words: list[str] = []
        for token in [*lexer, ";"]:
            if token not in operators:
                words.append(token)
                continue
            while words and words[0] in ("sudo", "exec", "umask"):
                if words[0] == "sudo" and len(words) > 2 and words[1] == "-u":
                    words = words[3:]
                elif words[0] == "umask":
                    words = []
                else:
                    words = words[1:]
            if words:
                yield words
            words = []


# -- the world the guide runs in ---------------------------------------------------------------


@dataclass
class World:
    tmp: Path
    bridge: Path
    etc: Path
    hostfact: Path
    state: Path
    prefix: str
    amqp_user: str
    amqp_password: str
    vhost: AmqpVhost
    sandbox: SandboxControl
    settings_port: int
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = field(default_factory=Path.cwd)
    outputs: list[tuple[Block, str]] = field(default_factory=list)
    background: list[subprocess.Popen[str]] = field(default_factory=list)
    seeded: dict[str, Any] = field(default_factory=dict)

    @property
    def relocate(self) -> dict[str, str]:
        return {
            "/opt/hostfact-exact-bridge": str(self.bridge),
            "/opt/hfexact/.venv": str(VENV),
            "/etc/hfexact": str(self.etc),
            "/var/www/hostfact": str(self.hostfact),
            "/var/lib/hfexact": str(self.state),
            SETTINGS_PAGE_PORT: f"127.0.0.1:{self.settings_port}",
        }

    def moved(self, text: str) -> str:
        for old, new in self.relocate.items():
            text = text.replace(old, new)
        return text

    @property
    def amqp_url(self) -> str:
        return self.vhost.url(self.amqp_user, self.amqp_password)

    def php_env(self) -> dict[str, str]:
        """The PHP side's settings, as the edited bridge.env holds them."""
        return {
            "HFEXACT_AMQP_URL": self.amqp_url, "HFEXACT_AMQP_PREFIX": self.prefix,
            "HFEXACT_INSTALLATION": "hf-main",
            "HFEXACT_DB_DSN": f"sqlite:{self.tmp / 'hostfact.sqlite3'}",
            "HFEXACT_DB_USER": "", "HFEXACT_DB_PASSWORD": "",
            "HFEXACT_HOSTFACT_BOOTSTRAP": str(self.bridge / "php-bridge/standin/bootstrap.php"),
            "HFEXACT_SPOOL_DIR": str(self.tmp / "spool"), "HFEXACT_EXPORT_PACKAGE": "exact",
            # test-only: the stand-in includes <root>/Pro/includes/hooks.php as HostFact does
            "HFEXACT_STANDIN_ROOT": str(self.hostfact),
        }

    def python_env(self) -> dict[str, str]:
        """The Python side's settings, as the edited hfexact.env holds them."""
        return {
            "HFEXACT_AMQP_URL": self.amqp_url, "HFEXACT_AMQP_PREFIX": self.prefix,
            "HFEXACT_STORE_URL": f"sqlite:///{self.state / 'hfexact.sqlite3'}",
            "HFEXACT_EXACT_BASE_URL": self.sandbox.base_url,
            "HFEXACT_EXACT_CLIENT_ID": "demo", "HFEXACT_EXACT_CLIENT_SECRET": "demo",
            "HFEXACT_EXACT_REDIRECT_URI": "http://127.0.0.1:0/callback",
            "HFEXACT_EXACT_DIVISION": str(DIVISION),
            "HFEXACT_SECRET_KEY_FILE": str(self.etc / "secret.key"),
            "HFEXACT_LOG_FORMAT": "json",
            # test-only: quick retries for events that wait for the settings
            "HFEXACT_RETRY_BASE_SECONDS": "0.05", "HFEXACT_RETRY_MAX_SECONDS": "0.4",
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sudo_shim(directory: Path) -> None:
    """``sudo [-u USER] [-E] CMD``: run CMD as this user (the tests' machine has no sudo)."""
    directory.mkdir()
    shim = directory / "sudo"
    shim.write_text(textwrap.dedent("""\
        #!/bin/sh
        while [ $# -gt 0 ]; do
          case "$1" in
            -u|-g) shift 2 ;;
            -E|-H|--preserve-env) shift ;;
            *) break ;;
          esac
        done
        exec "$@"
        """))
    shim.chmod(0o755)


def _php(world: World, code: str, *, hooks: bool) -> str:
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(world.tmp / "phptmp"), **world.php_env(),
           "HFEXACT_CONFIG_FILE": str(world.tmp / "no-config.php")}
    if not hooks:
        env.pop("HFEXACT_STANDIN_ROOT")
    script = world.tmp / f"step-{uuid.uuid4().hex[:6]}.php"
    script.write_text("<?php\ndeclare(strict_types=1);\nrequire '"
                      + str(world.bridge / "php-bridge/standin/bootstrap.php") + "';\n" + code)
    done = subprocess.run(["php", str(script)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


SEED_HOSTFACT = """
use HostFactStandIn\\HostFact;
use HostFactStandIn\\SampleData;
$hf = HostFact::instance();
$ids = SampleData::seed($hf);
$codes = [];
foreach ([$ids['bv'], $ids['consumer'], $ids['bv']] as $debtor) {
    $id = SampleData::conceptInvoice($hf, $debtor);
    $sent = $hf->api('invoice', 'sendbyemail', ['Identifier' => $id])['invoice'];
    $codes[$id] = $sent['InvoiceCode'];
}
// HostFact's own Exact export booked the first invoice before the cut-over
$first = array_key_first($codes);
$hf->sdd->recordExport('exact', 'invoice', (string) $first, '{"EntryID":"3f1c"}');
echo json_encode(['invoices' => array_values($codes), 'exported_by_hostfact' => $codes[$first]]);
"""

SEND_INVOICE = """
use HostFactStandIn\\HostFact;
$hf = HostFact::instance();
$debtor = $hf->findOrFail('debtor', ['DebtorCode' => 'DB0002'])['Identifier'];
$id = \\HostFactStandIn\\SampleData::conceptInvoice($hf, (string) $debtor, 1);
$sent = $hf->api('invoice', 'sendbyemail', ['Identifier' => $id])['invoice'];
if ($hf->hooks->caughtExceptions !== []) {
    throw new RuntimeException(json_encode($hf->hooks->caughtExceptions));
}
echo json_encode(['invoice' => $sent['InvoiceCode']]);
"""


@pytest.fixture
def world(tmp_path: Path, amqp_vhost: AmqpVhost, amqp_tracker: AmqpTracker,
          sandbox: SandboxControl) -> Iterator[World]:
    prefix = "t" + uuid.uuid4().hex[:8]
    amqp_tracker.topology(prefix)  # deleted after the test (the ladder of python_env's retries)
    w = World(tmp=tmp_path, bridge=tmp_path / "bridge", etc=tmp_path / "etc/hfexact",
              hostfact=tmp_path / "hostfact", state=tmp_path / "var/lib/hfexact", prefix=prefix,
              amqp_user=f"hfexact-{prefix}", amqp_password="pw-" + uuid.uuid4().hex,
              vhost=amqp_vhost, sandbox=sandbox, settings_port=_free_port())
    shutil.copytree(ROOT / "php-bridge", w.bridge / "php-bridge",
                    ignore=shutil.ignore_patterns("var", "tests", "config.local.php"))
    shutil.copytree(ROOT / "deploy", w.bridge / "deploy")
    (w.hostfact / "Pro" / "includes").mkdir(parents=True)
    w.state.mkdir(parents=True)
    (tmp_path / "phptmp").mkdir()
    _sudo_shim(tmp_path / "shims")
    w.env = {"PATH": f"{tmp_path / 'shims'}:/usr/local/bin:/usr/bin:/bin",
             "HOME": str(tmp_path), "LANG": "C.UTF-8", "TMPDIR": str(tmp_path / "phptmp")}
    w.cwd = tmp_path
    w.seeded = json.loads(_php(w, SEED_HOSTFACT, hooks=False))
    try:
        yield w
    finally:
        for proc in w.background:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        subprocess.run(["rabbitmqctl", "-q", "delete_user", w.amqp_user], capture_output=True,
                       timeout=60, check=False)


# -- running blocks ----------------------------------------------------------------------------


def run_block(world: World, block: Block) -> str:
    """One ``sh test`` block in the session's shell state; exported variables and the working
    directory carry over to the next block, as in one terminal."""
    state_env, state_pwd = world.tmp / "session.env", world.tmp / "session.pwd"
    script = (f"trap 'env -0 > {shlex.quote(str(state_env))}; pwd > "
              f"{shlex.quote(str(state_pwd))}' EXIT\nset -eo pipefail\n"
              + world.moved(block.text))
    lines: list[str] = []
    with subprocess.Popen(["bash", "-c", script], env=world.env, cwd=world.cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "/api/oauth2/auth?" in line:  # the operator opens the consent address
                url = line.strip().split()[-1]
                threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 30},
                                 daemon=True).start()
        rc = proc.wait(timeout=180)
    output = "".join(lines)
    assert rc == 0, f"docs/install.md line {block.line}: exit {rc}\n{block.text}\n{output}"
    world.env = dict(item.split("=", 1) for item in state_env.read_text().split("\0")
                     if "=" in item)
    world.cwd = Path(state_pwd.read_text().strip())
    world.outputs.append((block, output))
    return output


def start_background(world: World, block: Block) -> None:
    proc = subprocess.Popen(["bash", "-c", "exec " + world.moved(block.text).strip()],
                            env=world.env, cwd=world.cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)
    world.background.append(proc)
    deadline = time.monotonic() + 15
    while True:
        with contextlib.suppress(OSError), socket.create_connection(
                ("127.0.0.1", world.settings_port), timeout=1):
            return
        assert proc.poll() is None, f"line {block.line}: {block.text} exited {proc.returncode}"
        assert time.monotonic() < deadline, f"line {block.line}: nothing listens"
        time.sleep(0.1)


def edit_env_files(world: World) -> None:
    """What the operator types into the two files: every key of the examples gets a value."""
    for name, values in (("hfexact.env", world.python_env()), ("bridge.env", world.php_env())):
        path = world.etc / name
        example = (ROOT / "deploy" / f"{name}.example").read_text()
        keys = re.findall(r"^(HFEXACT_\w+)=", example, re.M)
        assert keys == re.findall(r"^(HFEXACT_\w+)=", path.read_text(), re.M)
        missing = set(keys) - set(values)
        assert not missing, f"deploy/{name}.example has keys the guide's test does not set: " \
                            f"{missing}"
        path.write_text("".join(f"{k}={shlex.quote(v) if v else ''}\n"
                                for k, v in values.items()))


def run_printed_rabbitmqctl(world: World) -> None:
    """Run what `hfexact topology permissions` printed, for this test's own user; the vhost is
    the shared test vhost, which already exists and is never created per test."""
    from tests.integration.amqp_fixtures import rabbitmqctl

    output = [out for b, out in world.outputs if "topology permissions" in b.text][-1]
    printed = [shlex.split(line) for line in output.splitlines()
               if line.startswith("rabbitmqctl ")]
    assert [p[1] for p in printed] == ["add_vhost", "add_user", "set_permissions"], output
    assert printed[0][2] == world.vhost.name
    user = printed[1][2]
    rabbitmqctl("add_user", world.amqp_user, world.amqp_password)
    set_permissions = [world.amqp_user if word == user else word for word in printed[2][1:]]
    assert set_permissions[:3] == ["set_permissions", "-p", world.vhost.name]
    assert set_permissions[4:] == [f"^{world.prefix}\\..*$"] * 3
    rabbitmqctl(*set_permissions)


DEMO_SETTINGS = {
    "enabled[debtors]": "on", "enabled[creditors]": "on", "enabled[invoices]": "on",
    "enabled[purchase_invoices]": "on", "enabled[sdd_batches]": "on", "enabled[payments]": "on",
    "debtor_code_mask": "1###", "creditor_code_mask": "2###",
    "journals[sales]": "70", "journals[purchase]": "60", "journals[memorial]": "90",
    "revenue_gl[default]": "8000", "revenue_gl_groups": "Hosting = 8010\nDomeinnamen = 8020",
    "purchase_gl[default]": "4000", "purchase_gl_groups": "Datacenter = 4010",
    "vat_codes": "21 = 2, 6, 2, 7\n9 = 1, 6, 1, 7\n0 = 0, 6, 0, 7",
    "purchase_vat_codes": "21 = 3\n9 = 4\n0 = 0",
    "sdd[intermediate_gl]": "1105", "sdd[journal]": "90", "sdd[payment_condition]": "IN",
}


def fill_settings_page(world: World) -> None:
    """The operator's browser: open the page, fill in the form, save."""
    url = f"http://127.0.0.1:{world.settings_port}/settings.php"
    with requests.Session() as browser:
        page = browser.get(url, timeout=30)
        assert page.status_code == 200, page.text[:500]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, page.text[:500]
        saved = browser.post(url, data={"csrf": csrf.group(1), **DEMO_SETTINGS}, timeout=30,
                             allow_redirects=False)
        assert saved.status_code == 303, saved.text[:1000]


def send_invoice(world: World) -> None:
    world.seeded["live"] = json.loads(_php(world, SEND_INVOICE, hooks=True))["invoice"]


MARKERS = {
    "edit /etc/hfexact/hfexact.env and /etc/hfexact/bridge.env": edit_env_files,
    "run the printed rabbitmqctl commands": run_printed_rabbitmqctl,
    "fill in and save the settings page": fill_settings_page,
    "HostFact sends an invoice": send_invoice,
}


# -- checking blocks that are not run ----------------------------------------------------------

ALLOWED = {"apt-get", "git", "python3", "useradd", "createuser", "createdb", "chgrp", "chown",
           "rabbitmqctl", "ssh", "crontab", "grep", "cd", "mkdir", "cp", "systemctl", "docker",
           "pip"}
UNIT_FILES = {p.name for p in (ROOT / "deploy").glob("*.service")}
VENV_PATH = "/opt/hfexact/.venv"
BRIDGE_PATH = "/opt/hostfact-exact-bridge"


def check_hfexact_args(args: list[str], where: str) -> None:
    """The arguments parse as an `hfexact` command line (commands, options, choices, types)."""
    import click

    from hfexact.cli import cli

    command: click.Command = cli
    ctx = click.Context(cli, info_name="hfexact")
    rest = list(args)
    try:
        while isinstance(command, click.Group):  # our groups take no options of their own
            name, sub, rest = command.resolve_command(ctx, rest)
            assert name is not None
            assert sub is not None
            ctx = click.Context(sub, info_name=name, parent=ctx)
            command = sub
        command.make_context(ctx.info_name, rest, parent=ctx.parent)
    except click.UsageError as exc:
        raise AssertionError(f"{where}: `hfexact {' '.join(args)}`: {exc}") from exc


def check_block(block: Block, compose: set[str]) -> None:
    where = f"docs/install.md line {block.line}"
    syntax = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True,
                            check=False)
    assert syntax.returncode == 0, f"{where}: {syntax.stderr}"
    for words in commands(block.text):
        head = words[0]
        if head.endswith("/hfexact") or head == "hfexact":
            assert head in ("hfexact", f"{VENV_PATH}/bin/hfexact"), f"{where}: {head}"
            check_hfexact_args(words[1:], where)
        elif head.endswith("/pip"):
            assert head == f"{VENV_PATH}/bin/pip", f"{where}: pip of another venv: {head}"
            assert words[-1] == BRIDGE_PATH, f"{where}: installs {words[-1]}, not the bridge"
        elif head == "python3" and words[1:3] == ["-m", "venv"]:
            assert words[3] == VENV_PATH, f"{where}: venv {words[3]} is not {VENV_PATH}"
        elif head == "php":
            script = words[1].replace(BRIDGE_PATH + "/", "")
            assert (ROOT / script).is_file(), f"{where}: no {script}"
        elif head == "apt-get" and "install" in words:
            packages = [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
            known = subprocess.run(["apt-cache", "show", "--no-all-versions", *packages],
                                   capture_output=True, text=True, check=False)
            assert known.returncode == 0, f"{where}: Debian does not know: {known.stderr}"
            assert set(re.findall(r"^Package: (\S+)$", known.stdout, re.M)) == set(packages)
        elif head == "cp" and any(w.startswith("deploy/") for w in words):
            for source in [w for w in words if w.startswith("deploy/")]:
                assert (ROOT / source).is_file(), f"{where}: no {source}"
        elif head == "rabbitmqctl" and words[1] == "set_permissions":
            from hfexact.amqp.topology import permissions

            prefix_rights = permissions(words[3]).configure  # the guide's vhost = its prefix
            assert words[-3:] == [prefix_rights] * 3, f"{where}: not what hfexact prints"
        elif head == "systemctl" and "enable" in words:
            for unit in [w for w in words if w.startswith("hfexact-")]:
                template = re.sub(r"@[^.]+$", "@", unit) + ".service"
                assert template in UNIT_FILES, f"{where}: no unit {template} in deploy/"
        elif head == "docker" and words[1:2] == ["compose"]:
            services = [w for w in words[3:] if not w.startswith("-")]
            if words[2] == "run":
                assert services[0] in compose, f"{where}: no compose service {services[0]}"
                check_hfexact_args(services[1:], where)  # the image's entrypoint is hfexact
            elif words[2] == "up":
                assert set(services) <= compose, f"{where}: {set(services) - compose}"
        else:
            assert head in ALLOWED, f"{where}: the test does not know `{head}`; check it here"


def check_ini(block: Block) -> None:
    exec_start = re.findall(r"^ExecStart=(.+)$", block.text, re.M)
    assert exec_start, block.text
    words = shlex.split(exec_start[-1].replace("%i", "1"))
    assert words[0] == f"{VENV_PATH}/bin/hfexact"
    check_hfexact_args(words[1:], f"docs/install.md line {block.line}")


def check_units(tmp: Path) -> None:
    """The shipped units: commands where the guide installs them; systemd accepts them."""
    moved = tmp / "units"
    moved.mkdir()
    for unit in (ROOT / "deploy").glob("*.service"):
        text = unit.read_text()
        for line in re.findall(r"^ExecStart=(.+)$", text, re.M):
            words = shlex.split(line)
            if words[0].endswith("/hfexact"):
                assert words[0] == f"{VENV_PATH}/bin/hfexact", f"{unit.name}: {words[0]}"
                check_hfexact_args(words[1:], unit.name)
            else:
                assert words[0] == "/usr/bin/php", f"{unit.name}: {words[0]}"
                assert words[1].startswith(BRIDGE_PATH + "/php-bridge/bin/")
                assert (ROOT / words[1].removeprefix(BRIDGE_PATH + "/")).is_file()
        env_files = re.findall(r"^EnvironmentFile=(.+)$", text, re.M)
        assert env_files in (["/etc/hfexact/hfexact.env"], ["/etc/hfexact/bridge.env"])
        name = unit.name.replace("@.", "@1.")
        (moved / name).write_text(text.replace(VENV_PATH, str(VENV)).replace(BRIDGE_PATH,
                                                                           str(ROOT)))
    if shutil.which("systemd-analyze"):
        done = subprocess.run(["systemd-analyze", "verify", *sorted(map(str, moved.iterdir()))],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def compose_service_names() -> set[str]:
    binary = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
    done = subprocess.run([*binary, "-f", str(ROOT / "docker-compose.yml"), "config",
                           "--services"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


# -- the test ----------------------------------------------------------------------------------


def test_every_block_of_the_guide_is_run_or_checked(world: World) -> None:
    """From zero to a live bridge, exactly as docs/install.md says; then what landed in Exact."""
    items = read_guide(GUIDE.read_text(encoding="utf-8"))
    blocks = [i for i in items if isinstance(i, Block)]
    assert sum(b.runs for b in blocks) >= 10
    assert {b.info for b in blocks} <= {"sh test", "sh test-background", "sh", "ini", "apache"}
    assert {m.name for m in items if isinstance(m, Marker)} == set(MARKERS)
    compose = compose_service_names()
    for item in items:
        if isinstance(item, Marker):
            MARKERS[item.name](world)
        elif item.runs:
            run_block(world, item)
        elif item.info == "sh test-background":
            start_background(world, item)
        elif item.info == "sh":
            check_block(item, compose)
        elif item.info == "ini":
            check_ini(item)
    check_units(world.tmp)

    outputs = {b.line: out for b, out in world.outputs}
    text = "\n".join(outputs.values())
    assert "Connected as" in text
    # `hfexact status` after the first pass: the settings checked against Exact and valid
    status_runs = [out for b, out in world.outputs if "hfexact status\n" in b.text + "\n"]
    assert status_runs
    assert all("valid" in out and "needs attention" not in out for out in status_runs)
    assert "HostFact_ExportHistory (exact): 1 record(s) marked already exported" in text
    assert "no dead letters" in text

    entries = world.sandbox.state()["divisions"][str(DIVISION)]["salesentry/SalesEntries"]
    booked = sorted(e["YourRef"] for e in entries)
    invoices = world.seeded["invoices"]
    exported = world.seeded["exported_by_hostfact"]
    assert booked == sorted([*(c for c in invoices if c != exported), world.seeded["live"]])
    report = json.loads((world.cwd / "status.json").read_text())
    assert report["export_settings"]["hf-main"]["valid"] is True
    assert report["dead_letters"] == 0


def test_the_checks_catch_mistakes(tmp_path: Path) -> None:
    """A wrong option, a missing unit, file or package, an unknown command: each is caught."""
    compose = {"worker", "payments"}
    for wrong in ("hfexact worker --no-such-option", "hfexact nonsense",
                  "sudo systemctl enable --now hfexact-nope@1",
                  "sudo cp deploy/hfexact-nope.service /etc/systemd/system/",
                  "php php-bridge/bin/nope.php", "sudo apt-get install -y php-no-such-package",
                  "docker compose up -d worker nope", "frobnicate --now",
                  "sudo python3 -m venv /opt/elsewhere/.venv",
                  "sudo rabbitmqctl set_permissions -p hostfact hfexact '.*' '.*' '.*'",
                  "if then fi"):
        with pytest.raises(AssertionError):
            check_block(Block("sh", wrong + "\n", 1), compose)
    check_block(Block("sh", "hfexact worker --burst --metrics-port 9101\n", 1), compose)
    with pytest.raises(AssertionError):
        check_ini(Block("ini", "[Service]\nExecStart=/opt/hfexact/.venv/bin/hfexact wrk\n", 1))
