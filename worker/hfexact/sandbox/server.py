"""Serving the sandbox: werkzeug's threaded server in a background thread or a subprocess."""

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

    @property
    def base_url(self) -> str:
        host = self.server.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.server.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_sandbox_server(host: str, port: int, options: SandboxOptions) -> tuple[BaseWSGIServer,
                                                                              Sandbox]:
    sandbox = Sandbox(options)
    server = make_server(host, port, sandbox, threaded=True, request_handler=_QuietHandler)
    server.sandbox_quiet = options.quiet  # type: ignore[attr-defined]
    return server, sandbox


def start_sandbox(host: str = "127.0.0.1", port: int = 0, **options: Any) -> RunningSandbox:
    """Start a sandbox on ``host:port`` (0 = a free port) in a daemon thread."""
    server, sandbox = make_sandbox_server(host, port, build_options(**options))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="exact-sandbox", daemon=True)
    thread.start()
    return RunningSandbox(server, thread, sandbox)


@dataclass
class SandboxProcess:
    """A sandbox in a child process (``python -m hfexact.sandbox``)."""

    process: subprocess.Popen[str]
    base_url: str

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
                  timeout: float = 15.0) -> SandboxProcess:
    """Run the sandbox as a subprocess; returns once it answers on its base URL."""
    cmd = [sys.executable, "-m", "hfexact.sandbox", "--host", host, "--port", str(port), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HFEXACT_SANDBOX_")}
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("http"):
        process.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(line + "/sandbox/state", timeout=2)
            return SandboxProcess(process, line)
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("sandbox did not answer in time")
