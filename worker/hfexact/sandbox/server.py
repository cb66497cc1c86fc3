"""Serving the sandbox: werkzeug's threaded server in a background thread or a subprocess.

With ``tls`` the listening socket is wrapped in TLS (``hfexact.sandbox.tls``): the handshake is
deferred to each request's thread, so a client that connects and stalls cannot block the
accepting loop.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hfexact.sandbox.app import Sandbox
from hfexact.sandbox.options import ClientSpec, SandboxOptions, parse_client
from hfexact.sandbox.tls import TlsFiles, make_tls_files


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if not getattr(self.server, "sandbox_quiet", True):
            super().log_request(code, size)


def build_options(**options: Any) -> SandboxOptions:
    """``SandboxOptions`` from keyword options; clients may be ``ClientSpec`` or ``ID:SECRET``."""
    base = SandboxOptions()
    clients = options.pop("clients", None)
    if clients is not None:
        specs = tuple(c if isinstance(c, ClientSpec) else parse_client(str(c)) for c in clients)
        if not any(c.client_id == "demo" for c in specs):
            specs = (*base.clients, *specs)
        options["clients"] = specs
    if "divisions" in options:
        options["divisions"] = tuple(int(d) for d in options["divisions"])
    return replace(base, **options)


@dataclass
class RunningSandbox:
    """A sandbox serving in a background thread; ``stop()`` shuts it down."""

    server: BaseWSGIServer
    thread: threading.Thread
    sandbox: Sandbox
    tls: TlsFiles | None = None

    @property
    def base_url(self) -> str:
        return base_url_of(self.server)

    @property
    def ca_bundle(self) -> str | None:
        """PEM file of the CA that signed the server certificate (``tls=True`` only)."""
        return str(self.tls.ca_bundle) if self.tls is not None else None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        if self.tls is not None:
            self.tls.remove()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def base_url_of(server: BaseWSGIServer) -> str:
    host = f"[{server.host}]" if ":" in server.host else server.host
    scheme = "https" if server.ssl_context is not None else "http"
    return f"{scheme}://{host}:{server.port}"


def make_sandbox_server(host: str, port: int, options: SandboxOptions,
                        tls: TlsFiles | None = None) -> tuple[BaseWSGIServer, Sandbox]:
    sandbox = Sandbox(options)
    server = make_server(host, port, sandbox, threaded=True, request_handler=_QuietHandler)
    server.sandbox_quiet = options.quiet  # type: ignore[attr-defined]
    if tls is not None:
        context = tls.server_context()
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
        server.ssl_context = context  # werkzeug then reports wsgi.url_scheme "https"
    return server, sandbox


def start_sandbox(host: str = "127.0.0.1", port: int = 0, *, tls: bool = False,
                  **options: Any) -> RunningSandbox:
    """Start a sandbox on ``host:port`` (0 = a free port) in a daemon thread.

    ``tls=True`` serves HTTPS with a certificate from a CA made for this run; clients trust
    ``RunningSandbox.ca_bundle``.
    """
    files = make_tls_files(host) if tls else None
    try:
        server, sandbox = make_sandbox_server(host, port, build_options(**options), files)
    except BaseException:
        if files is not None:
            files.remove()
        raise
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="exact-sandbox", daemon=True)
    thread.start()
    return RunningSandbox(server, thread, sandbox, files)


@dataclass
class SandboxProcess:
    """A sandbox in a child process (``python -m hfexact.sandbox``)."""

    process: subprocess.Popen[str]
    base_url: str
    ca_bundle: str | None = None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def spawn_sandbox(host: str = "127.0.0.1", port: int = 0, args: tuple[str, ...] = (),
                  timeout: float = 15.0, tls: bool = False) -> SandboxProcess:
    """Run the sandbox as a subprocess; returns once it answers on its base URL.

    With ``tls`` the child serves HTTPS and prints its CA bundle path on the second line.
    """
    cmd = [sys.executable, "-m", "hfexact.sandbox", "--host", host, "--port", str(port), *args]
    if tls:
        cmd.append("--tls")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HFEXACT_SANDBOX_")}
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("http"):
        process.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    ca_bundle = process.stdout.readline().strip() if tls else None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(line + "/sandbox/state", timeout=2, verify=ca_bundle or True)
            return SandboxProcess(process, line, ca_bundle)
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("sandbox did not answer in time")
