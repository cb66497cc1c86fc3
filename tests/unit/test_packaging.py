"""What ships for users outside Python: the compose file and the image definition."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return ["docker", "compose"]


def test_docker_compose_file_is_accepted() -> None:
    """`docker compose config` accepts docker-compose.yml and resolves every service."""
    out = subprocess.run(
        [*_compose(), "-f", str(ROOT / "docker-compose.yml"), "config", "--services"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.split()) == {"rabbitmq", "postgres", "sandbox", "worker", "payments"}


def test_console_script_is_installed() -> None:
    """The distribution installs the `hfexact` command."""
    exe = ROOT / ".venv" / "bin" / "hfexact"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    assert "Keep HostFact and Exact Online in step" in out.stdout
