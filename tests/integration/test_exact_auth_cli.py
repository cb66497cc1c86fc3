"""`hfexact auth login` and `hfexact auth status` as an operator runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from tests.fixtures.exact import exact_env_fixture  # noqa: F401 - found by its name= argument
from tests.fixtures.sandbox import (  # noqa: F401
    DIVISION,
    SandboxControl,
    sandbox_fixture,
    sandbox_server_fixture,
)
from tests.fixtures.store import (  # noqa: F401
    open_stores_fixture,
    pg_database_fixture,
    store_url_fixture,
)

from hfexact.store import generate_key, open_store

pytestmark = [
    pytest.mark.integration,
    # the CLI is the same on both backends (the store suite covers them): SQLite only here
    pytest.mark.parametrize("store_url", ["sqlite"], indirect=True),
]
HFEXACT = [str(Path(sys.executable).with_name("hfexact"))]


def run_login(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Start `hfexact auth login`, play the browser (GET the printed URL), wait for it."""
    proc = subprocess.Popen([*HFEXACT, "auth", "login", "--no-browser", "--timeout", "30", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("http"):
            requests.get(line.strip(), timeout=10).raise_for_status()
            break
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(lines) + out, err)


def environment(exact_env: dict[str, str], **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HFEXACT_")}
    return {**base, **exact_env, **extra}


class TestAuthCli:
    def test_login_then_status_encrypted(self, exact_env: dict[str, str],
                                         sandbox: SandboxControl, tmp_path: Path) -> None:
        """Login completes without a person; status shows the expiry and encryption at rest."""
        key_file = tmp_path / "secret.key"
        key_file.write_bytes(generate_key())
        key_file.chmod(0o600)
        env = environment(exact_env, HFEXACT_SECRET_KEY_FILE=str(key_file))
        env.pop("HFEXACT_EXACT_DIVISION")
        done = run_login(env, "--division", str(DIVISION), "--save-secret")
        assert done.returncode == 0, done.stderr
        assert "/api/oauth2/auth?" in done.stdout
        assert f"division open in Exact: {DIVISION}" in done.stdout
        assert f"Division {DIVISION} stored" in done.stdout
        assert sandbox.token_calls() == 1

        env.pop("HFEXACT_EXACT_CLIENT_SECRET")  # from now on the stored secret is used
        status = subprocess.run([*HFEXACT, "auth", "status"], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        assert status.returncode == 0, status.stderr
        assert "present, encrypted at rest" in status.stdout
        assert "client secret:    stored, encrypted" in status.stdout
        assert f"division:         {DIVISION} (stored at login)" in status.stdout
        assert "warning" not in status.stderr

        # commands that book use the division stored at login (no HFEXACT_EXACT_DIVISION set)
        plan = subprocess.run([*HFEXACT, "backfill", "plan", "--invoices", "10", "--json"],
                              env=env, capture_output=True, text=True, timeout=60, check=False)
        assert plan.returncode == 0, plan.stderr
        assert json.loads(plan.stdout)["division"] == DIVISION

        early = subprocess.run([*HFEXACT, "auth", "refresh"], env=env, capture_output=True,
                               text=True, timeout=60, check=False)
        assert early.returncode == 0, early.stderr
        assert "not refreshed" in early.stdout
        assert sandbox.token_calls() == 1

        store = open_store(exact_env["HFEXACT_STORE_URL"], secret_key=key_file.read_bytes())
        try:
            assert store.load_client_secret("demo") == "demo"
            assert store.get_division("demo") == DIVISION
        finally:
            store.close()

    def test_status_warns_without_key_and_fails_without_tokens(
        self, exact_env: dict[str, str], sandbox: SandboxControl
    ) -> None:
        """No tokens: exit 1 with the instruction; plain tokens: a warning to set a key."""
        env = environment(exact_env)
        before = subprocess.run([*HFEXACT, "auth", "status"], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        assert before.returncode == 1
        assert "run `hfexact auth login`" in before.stdout
        done = run_login(env)
        assert done.returncode == 0, done.stderr
        assert "stored unencrypted" in done.stderr
        after = subprocess.run([*HFEXACT, "auth", "status"], env=env, capture_output=True,
                               text=True, timeout=60, check=False)
        assert after.returncode == 0
        assert "stored UNENCRYPTED" in after.stdout
        assert "HFEXACT_SECRET_KEY" in after.stderr

    def test_key_file_readable_by_others_is_refused(
        self, exact_env: dict[str, str], sandbox: SandboxControl, tmp_path: Path
    ) -> None:
        """A key file with mode 0644 stops the command with a configuration error (exit 2)."""
        key_file = tmp_path / "secret.key"
        key_file.write_bytes(generate_key())
        key_file.chmod(0o644)
        env = environment(exact_env, HFEXACT_SECRET_KEY_FILE=str(key_file))
        result = subprocess.run([*HFEXACT, "auth", "status"], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        assert result.returncode == 2
        assert "chmod 600" in result.stderr
