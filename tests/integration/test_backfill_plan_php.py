"""``hfexact backfill plan --since DATE`` runs the real PHP backfill's dry run (``--json``) on a
HostFact stand-in and plans what it reports."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hfexact.cli import cli

pytestmark = [pytest.mark.integration, pytest.mark.php, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]

#: a stand-in world on SQLite: 3 debtors and a creditor (sample data), 4 sent invoices and a
#: concept; the outbox emptied, so the backfill would queue everything again
WORLD = r"""<?php
require $argv[1] . '/php-bridge/tests/bootstrap.php';
use HostFactExact\Tests\Support\TestEnv;
use HostFactStandIn\SampleData;
\HostFactExact\Support\Log::sendTo(static function (string $line): void {
});
$world = TestEnv::create('sqlite');
try {
    $ids = SampleData::seed($world->hostfact);
    for ($i = 0; $i < 4; $i++) {
        $id = SampleData::conceptInvoice($world->hostfact, $ids['bv']);
        $world->hostfact->api('invoice', 'sendbyemail', ['Identifier' => $id]);
    }
    SampleData::conceptInvoice($world->hostfact, $ids['consumer']);
    $world->db->run('DELETE FROM hfexact_outbox');
    echo json_encode($world->processEnv()), "\n";
    fgets(STDIN);
} finally {
    $world->cleanup();
}
"""


@pytest.fixture(name="world_env")
def world_env_fixture(tmp_path: Path) -> Iterator[dict[str, str]]:
    script = tmp_path / "world.php"
    script.write_text(WORLD, encoding="utf-8")
    process = subprocess.Popen(["php", str(script), str(ROOT)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdin is not None
    try:
        line = process.stdout.readline()
        assert line, "the PHP world did not start"
        yield dict(json.loads(line))
    finally:
        process.stdin.write("bye\n")
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()


def test_plan_reads_the_php_dry_run(world_env: dict[str, str], tmp_path: Path) -> None:
    """3 debtors and a creditor (2 calls each with a code mask) and 4 sent invoices: 12 calls."""
    env = {**world_env, "HFEXACT_STORE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
           "HFEXACT_EXACT_DIVISION": "123456"}
    result = CliRunner().invoke(cli, [
        "backfill", "plan", "--since", "2000-01-01", "--json",
        "--php-script", str(ROOT / "php-bridge" / "bin" / "backfill.php")], env=env)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["records"] == {"debtors": 3, "creditors": 1, "invoices": 4,
                               "purchase_invoices": 0}
    assert plan["calls"] == 12
    assert plan["days"] == 1
    assert plan["source"].endswith("--since 2000-01-01 --dry-run --json")


def test_a_failing_dry_run_is_reported(world_env: dict[str, str], tmp_path: Path) -> None:
    """A date the PHP backfill refuses: the plan says the dry run failed and why."""
    env = {**world_env, "HFEXACT_STORE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
           "HFEXACT_EXACT_DIVISION": "123456"}
    result = CliRunner().invoke(cli, [
        "backfill", "plan", "--since", "28-11-2026",
        "--php-script", str(ROOT / "php-bridge" / "bin" / "backfill.php")], env=env)
    assert result.exit_code != 0
    assert "dry run failed (exit 2)" in str(result.exception)
