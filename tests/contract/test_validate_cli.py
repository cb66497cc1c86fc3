"""``hfexact validate FILE...`` through click's CliRunner and through the installed script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from hfexact.cli import cli
from tests.contract.examples import EXAMPLES, INVALID, VALID

SCRIPT = Path(sys.executable).parent / "hfexact"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", *args])
    return result.exit_code, result.output


class TestWithCliRunner:
    def test_all_valid_files_are_ok(self) -> None:
        """Every valid example prints ``FILE: ok`` and the exit code is 0."""
        code, out = run(*map(str, VALID))
        assert code == 0
        assert out.splitlines() == [f"{path}: ok" for path in VALID]

    def test_one_invalid_file_makes_exit_1(self) -> None:
        """A mix reports each file; one invalid file is enough for exit 1."""
        good, bad = VALID[0], EXAMPLES / "invalid" / "wrong-date.json"
        code, out = run(str(good), str(bad))
        assert code == 1
        assert out.splitlines() == [
            f"{good}: ok",
            f"{bad}: invalid",
            "  data.Date: Not a real date: '2026-02-30'.",
        ]

    def test_every_invalid_file_is_reported_with_field_errors(self) -> None:
        """Each invalid example gets ``invalid`` and at least one ``  field: message`` line."""
        code, out = run(*map(str, INVALID))
        assert code == 1
        blocks = out.split(": invalid\n")
        assert len(blocks) == len(INVALID) + 1
        for block in blocks[1:]:
            assert block.startswith("  ")
            assert ": " in block.splitlines()[0]

    def test_oversized_file_is_not_read_whole(self, tmp_path: Path) -> None:
        """A 5 GiB sparse file is reported invalid at once from its size."""
        huge = tmp_path / "huge.json"
        with huge.open("wb") as handle:
            handle.truncate(5 * 1024**3)
        code, out = run(str(huge))
        assert code == 1
        assert f"{huge}: invalid" in out
        assert "the limit is 1048576 bytes" in out

    def test_missing_file_is_invalid(self, tmp_path: Path) -> None:
        code, out = run(str(tmp_path / "nope.json"))
        assert code == 1
        assert "_file: Cannot read" in out

    def test_needs_at_least_one_file(self) -> None:
        """No argument is a usage error (exit 2)."""
        code, _ = run()
        assert code == 2


class TestInstalledScript:
    def test_console_script_exit_codes(self) -> None:
        """The ``hfexact`` console script validates files and exits 0 or 1."""
        ok = subprocess.run([str(SCRIPT), "validate", str(VALID[0])],
                            capture_output=True, text=True, timeout=60, check=False)
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout == f"{VALID[0]}: ok\n"
        bad_file = EXAMPLES / "invalid" / "bad-currency.json"
        bad = subprocess.run([str(SCRIPT), "validate", str(VALID[0]), str(bad_file)],
                             capture_output=True, text=True, timeout=60, check=False)
        assert bad.returncode == 1, bad.stderr
        assert f"{bad_file}: invalid\n  data.Currency: " in bad.stdout
