"""``hfexact payments poll`` as an operator runs it: --json, --reconcile, --watch, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.integration.test_payments_support import (  # noqa: F401 (fixtures)
    Harness,
    harness_fixture,
    payments_amqp_fixture,
)
from tests.integration.test_processing_samples import (  # noqa: F401 (fixtures)
    OTHER,
    client_fixture,
    control_fixture,
    open_stores_fixture,
    pg_database_fixture,
    processor_fixture,
    ready_fixture,
    sandbox_fixture,
    settings_fixture,
    store_fixture,
    store_url_fixture,
)

from hfexact.cli import cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parents[2]


def environment(harness: Harness) -> dict[str, str]:
    s = harness.settings
    return {
        "HFEXACT_EXACT_BASE_URL": s.exact_base_url, "HFEXACT_EXACT_CLIENT_ID": "demo",
        "HFEXACT_EXACT_CLIENT_SECRET": "demo",
        "HFEXACT_EXACT_REDIRECT_URI": str(s.exact_redirect_uri),
        "HFEXACT_EXACT_DIVISION": str(s.exact_division), "HFEXACT_DIVISIONS": f"{OTHER}=234567",
        "HFEXACT_STORE_URL": s.store_url, "HFEXACT_AMQP_URL": s.amqp_url,
        "HFEXACT_AMQP_PREFIX": s.amqp_prefix, "HFEXACT_LOG_FORMAT": "json",
        "HFEXACT_LOG_LEVEL": "warning",
    }


def invoke(harness: Harness, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["payments", "poll", *args], env=environment(harness),
                                catch_exceptions=False, standalone_mode=False)
    code = result.return_value if isinstance(result.return_value, int) else result.exit_code
    return code, result.output


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
class TestPollCommand:
    def test_json_summary_and_results(self, harness: Harness) -> None:
        """One poll: results published, a JSON summary per division, exit 0."""
        harness.book(1)
        harness.pay(1, "121.00", "2026-11-27")
        code, output = invoke(harness, "--once", "--json")
        summary = json.loads(output.strip().splitlines()[-1])
        assert code == 0
        assert summary["results"] == 1
        assert [d["division"] for d in summary["divisions"]] == [123456, 234567]
        assert [r["type"] for r in harness.published()] == ["payment.matched"]

    def test_once_and_watch_exclude_each_other(self, harness: Harness) -> None:
        """A usage error, before anything is read or published."""
        result = CliRunner().invoke(cli, ["payments", "poll", "--once", "--watch", "5"],
                                    env=environment(harness))
        assert result.exit_code == 2
        assert "exclude each other" in result.output

    def test_reconcile_reports_differences(self, harness: Harness) -> None:
        """Paid reported, then unmatched in Exact without a poll: the table names it; exit 1.
        An open invoice that agrees is not listed; nothing is published."""
        harness.book(1)
        harness.book(2)
        harness.pay(1, "121.00", "2026-11-27")
        harness.poll()
        assert len(harness.published()) == 1
        harness.unmatch(1)
        code, output = invoke(harness, "--reconcile", "--json")
        report = json.loads(output.strip().splitlines()[-1])
        assert code == 1
        assert report["compared"] == 2
        assert [(d["invoice_code"], d["hostfact"], d["note"]) for d in report["differences"]] \
            == [("F2026-0001", "paid", "paid in HostFact but still open in Exact")]
        assert harness.published() == []

    def test_reconcile_table(self, harness: Harness) -> None:
        """Without --json: a table and a count line."""
        harness.book(1)
        code, output = invoke(harness, "--reconcile")
        assert code == 0
        text = " ".join(output.split())
        assert "1 exported invoice(s) compared" in text
        assert "0 difference(s)" in text


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_watch_polls_until_sigterm(harness: Harness) -> None:
    """--watch polls, publishes, and stops cleanly on SIGTERM (exit 0)."""
    harness.book(1)
    harness.pay(1, "121.00", "2026-11-27")
    env = {**os.environ, **environment(harness), "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
            [str(Path(sys.executable).parent / "hfexact"), "payments", "poll", "--watch", "1",
             "--json"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True) as process:
        try:
            assert process.stdout is not None
            first = json.loads(process.stdout.readline())
            second = json.loads(process.stdout.readline())
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
    assert (first["results"], second["results"]) == (1, 0)
    assert [r["type"] for r in harness.published()] == ["payment.matched"]
