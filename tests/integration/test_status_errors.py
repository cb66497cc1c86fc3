"""Errors a person reads: one plain sentence with the next step, never a traceback.

No broker, no store, no tokens, a wrong client secret, a missing division, and several bad
variables at start-up (every one listed at once).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests
from tests.fixtures.sandbox import (  # noqa: F401 - fixtures sandbox and sandbox_server
    SandboxControl,
    sandbox_fixture,
    sandbox_server_fixture,
)

from hfexact.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
HFEXACT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "hfexact"


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str],
        *args: str) -> tuple[int, str]:
    """``hfexact ARGS`` in this process with exactly these HFEXACT_ variables."""
    for key in [k for k in os.environ if k.startswith("HFEXACT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HFEXACT_CONFIG", "")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        rc = main(list(args))
        code = 0 if rc in (None, 0) else int(rc)
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    return code, " ".join(text.split())


def test_several_bad_variables_are_listed_at_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hfexact worker` with four bad variables names all four, in words, and exits 2."""
    code, text = run(monkeypatch, capsys, {
        "HFEXACT_AMQP_URL": "http://broker", "HFEXACT_MAX_ATTEMPTS": "many",
        "HFEXACT_LOG_FORMAT": "xml", "HFEXACT_STORE_URL": "mysql://x/y"}, "worker")
    assert code == 2
    assert "HFEXACT_MAX_ATTEMPTS must be a whole number, not 'many'" in text
    assert "HFEXACT_AMQP_URL must start with amqp:// or amqps://" in text
    assert "HFEXACT_LOG_FORMAT must be auto, json or console" in text
    assert "HFEXACT_STORE_URL must be sqlite:///path or postgresql://" in text


def test_missing_client_and_division_are_named_together(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, text = run(monkeypatch, capsys,
                     {"HFEXACT_STORE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}"}, "worker")
    assert code == 2
    assert "HFEXACT_EXACT_CLIENT_ID is required - HFEXACT_EXACT_DIVISION is required" in text


def test_no_broker(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(monkeypatch, capsys,
                     {"HFEXACT_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/%2F"}, "dlq", "list")
    assert code == 1
    assert "RabbitMQ at amqp://guest@127.0.0.1:1 vhost '/' is not reachable" in text
    assert "start RabbitMQ or fix HFEXACT_AMQP_URL" in text


def test_broker_refuses_the_login(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(monkeypatch, capsys,
                     {"HFEXACT_AMQP_URL": "amqp://guest:not-the-password@127.0.0.1:5672/%2F"},
                     "topology", "declare")
    assert code == 2
    assert "RabbitMQ refused the login" in text
    assert "check the user and password in HFEXACT_AMQP_URL" in text


def test_no_store(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(monkeypatch, capsys, {
        "HFEXACT_STORE_URL": "postgresql://nobody@127.0.0.1:1/hfexact",
        "HFEXACT_EXACT_CLIENT_ID": "demo"}, "auth", "status")
    assert code == 1
    assert text.startswith("error: store unavailable")
    assert "Connection refused" in text
    assert "check that the database in HFEXACT_STORE_URL runs and accepts connections" in text


def test_no_tokens(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   tmp_path: Path) -> None:
    """The worker says at start-up that Exact is not connected, not at the first event."""
    code, text = run(monkeypatch, capsys, {
        "HFEXACT_STORE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}",
        "HFEXACT_EXACT_CLIENT_ID": "demo", "HFEXACT_EXACT_CLIENT_SECRET": "demo",
        "HFEXACT_EXACT_DIVISION": "123456", "HFEXACT_LOG_FORMAT": "json"}, "worker")
    assert code == 3
    assert "error: Exact is not connected yet" in text
    assert "run `hfexact auth login`" in text


def test_wrong_client_secret(sandbox: SandboxControl, tmp_path: Path) -> None:
    """A login with the wrong secret names both variables and the App Center."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HFEXACT_CONFIG": "",
           "HFEXACT_EXACT_BASE_URL": sandbox.base_url, "HFEXACT_EXACT_CLIENT_ID": "demo",
           "HFEXACT_EXACT_CLIENT_SECRET": "not-the-secret",
           "HFEXACT_EXACT_REDIRECT_URI": "http://127.0.0.1:0/callback",
           "HFEXACT_STORE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}"}
    proc = subprocess.Popen([str(HFEXACT), "auth", "login", "--no-browser", "--timeout", "20"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 20
        url = ""
        while not url and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "/api/oauth2/auth?" in line:
                url = line.strip()
        assert url, "no consent address printed"
        requests.get(url, timeout=10)  # the 'browser': consent and redirect
        _out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    text = " ".join(err.split())
    assert proc.returncode == 3
    assert "Traceback" not in err
    assert "Exact refused the app's credentials (invalid_request)" in text
    assert "check HFEXACT_EXACT_CLIENT_ID and HFEXACT_EXACT_CLIENT_SECRET against the app in " \
           "Exact's App Center" in text
