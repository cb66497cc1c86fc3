"""A private RabbitMQ node for outage tests: the machine's broker is shared and never stopped.

``PrivateBroker`` runs ``rabbitmq-server`` (the Debian package's own script, as this user) with
its own node name, free ports, data and log directories in a temporary directory, no plugins,
and an Erlang cookie of its own. Its configuration is what an installation should have:

- one vhost and one least-privilege user for the installation, made at boot from the config
  (``default_vhost`` / ``default_user`` / ``default_permissions.*``): configure, write and read
  only on objects under the installation's prefix; no guest user;
- a TLS listener (``listeners.ssl.default``) with a certificate signed by a CA the test made
  (``make_tls_files``), next to the plain listener on 127.0.0.1;
- ``max_message_size``: the broker refuses bodies larger than the bridge will ever send.

``stop()`` is a clean ``rabbitmqctl stop``; ``kill9()`` kills the Erlang VM; ``start()`` again
boots on the same data directory (durable quorum queues and their messages come back).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from tests.integration.amqp_fixtures import TlsFiles, make_tls_files

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
MAX_MESSAGE_SIZE = 4 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def usable() -> bool:
    return Path(SERVER).exists() and Path(CTL).exists()


class PrivateBroker:
    def __init__(self, directory: Path, prefix: str, *, name: str | None = None,
                 pattern: str | None = None, max_message_size: int = MAX_MESSAGE_SIZE) -> None:
        """``pattern``: the permission regex of the user (default: objects under ``prefix``)."""
        self.max_message_size = max_message_size
        self.dir = directory
        self.prefix = prefix
        self.pattern = pattern or "^" + re.escape(prefix + ".") + ".*"

        self.node = f"{name or 'hfx-test-' + secrets.token_hex(3)}@localhost"
        self.port = free_port()
        self.tls_port = free_port()
        self.dist_port = free_port()
        self.vhost = "hfexact"
        self.user = f"hfexact-{prefix}"
        self.password = secrets.token_urlsafe(16)
        self.tls: TlsFiles = make_tls_files(self._mkdir("tls"))
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.dir / "node.log"
        self.starts = 0
        self._write_config()

    def _mkdir(self, name: str) -> Path:
        path = self.dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _write_config(self) -> None:
        own = self.pattern
        self._mkdir("home")
        cookie = self.dir / "home" / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16).upper(), encoding="ascii")
        cookie.chmod(0o400)
        (self.dir / "enabled_plugins").write_text("[].\n", encoding="ascii")
        (self.dir / "rabbitmq-env.conf").write_text("", encoding="ascii")
        (self.dir / "rabbitmq.conf").write_text("\n".join([
            f"listeners.tcp.default = 127.0.0.1:{self.port}",
            f"listeners.ssl.default = {self.tls_port}",
            f"ssl_options.cacertfile = {self.tls.ca_cert}",
            f"ssl_options.certfile = {self.tls.server_cert}",
            f"ssl_options.keyfile = {self.tls.server_key}",
            "ssl_options.verify = verify_none",
            "ssl_options.fail_if_no_peer_cert = false",
            f"default_vhost = {self.vhost}",
            f"default_user = {self.user}",
            f"default_pass = {self.password}",
            f"default_permissions.configure = {own}",
            f"default_permissions.write = {own}",
            f"default_permissions.read = {own}",
            "default_user_tags.administrator = false",
            f"max_message_size = {self.max_message_size}",
            "",
        ]), encoding="ascii")

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")}
        env.update({
            "HOME": str(self.dir / "home"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self._mkdir("mnesia")),
            "RABBITMQ_LOG_BASE": str(self._mkdir("log")),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.dir / "advanced.config"),
            "RABBITMQ_PID_FILE": str(self.dir / "node.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        })
        return env

    # -- URLs -------------------------------------------------------------------------------------
    def url(self) -> str:
        return (f"amqp://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
                f"@127.0.0.1:{self.port}/{self.vhost}")

    def tls_url(self, cacertfile: Path | None = None, host: str = "localhost") -> str:
        ca = cacertfile or self.tls.ca_cert
        return (f"amqps://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
                f"@{host}:{self.tls_port}/{self.vhost}?cacertfile={ca}")

    # -- life -------------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> float:
        """Boot (or boot again on the same data); returns the seconds it took."""
        started = time.monotonic()
        handle = self.log.open("ab")
        self.process = subprocess.Popen([SERVER], env=self._env(), stdout=handle,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        self.starts += 1
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"private RabbitMQ exited: {self.tail()}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"private RabbitMQ did not start in {timeout} s: "
                                   f"{self.tail()}")
            time.sleep(0.2)
        return time.monotonic() - started

    def ready(self) -> bool:
        for port in (self.port, self.tls_port):
            try:
                socket.create_connection(("127.0.0.1", port), 0.3).close()
            except OSError:
                return False
        return True

    def ctl(self, *args: str, timeout: float = 60.0) -> str:
        result = subprocess.run([CTL, "-n", self.node, *args], env=self._env(),
                                capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def stop(self) -> None:
        """A clean shutdown (what `systemctl stop rabbitmq-server` does)."""
        self.ctl("stop")
        if self.process is not None:
            self.process.wait(60)

    def beam_pid(self) -> int:
        return int((self.dir / "node.pid").read_text(encoding="ascii").strip())

    def kill9(self) -> None:
        """SIGKILL the Erlang VM: no flush, no goodbye to the clients."""
        with contextlib.suppress(ProcessLookupError, FileNotFoundError, ValueError):
            os.kill(self.beam_pid(), signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.stop()
            except (RuntimeError, subprocess.TimeoutExpired):
                self.kill9()
        # epmd keeps the node name registered briefly; nothing else is left behind

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])
