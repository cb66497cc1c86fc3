"""`hfexact dlq list/show` say what to do per letter, with Exact's text as Exact wrote it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
import structlog
from click.testing import CliRunner, Result

from hfexact.cli import cli
from hfexact.config import Settings
from hfexact.worker_loop import Worker

if TYPE_CHECKING:
    from tests.integration.amqp_fixtures import AmqpProbe, RecordingProcessor

pytest_plugins = ("tests.integration.amqp_fixtures",)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def hfexact(settings: Settings, *args: str) -> Result:
    env = {"HFEXACT_AMQP_URL": settings.amqp_url, "HFEXACT_AMQP_PREFIX": settings.amqp_prefix,
           "HFEXACT_RETRY_BASE_SECONDS": str(settings.retry_base_seconds),
           "HFEXACT_RETRY_MAX_SECONDS": str(settings.retry_max_seconds),
           "HFEXACT_EXACT_DIVISION": "123456", "HFEXACT_CONFIG": "",
           "HFEXACT_LOG_FORMAT": "json"}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def letters(amqp_probe: AmqpProbe, amqp_settings: Settings,
            recording_processor: RecordingProcessor) -> dict[str, str]:
    amqp_probe.declare(amqp_settings)
    ids = {
        "rejected": amqp_probe.publish_event(
            "invoice.issued", {"do": "rejected", "data": {"InvoiceCode": "F0042"}}),
        "contract": amqp_probe.publish_event(
            "invoice.issued", {"do": "permanent", "data": {"InvoiceCode": "F0043"}}),
        "crash": amqp_probe.publish_event("debtor.upserted", {"do": "crash"}),
    }
    Worker(amqp_settings, recording_processor, idle_seconds=0.2).run(burst=True)
    return ids


def test_list_says_what_to_do_per_letter(letters: dict[str, str],
                                         amqp_settings: Settings) -> None:
    """Each row ends in a next step; Exact's message appears verbatim."""
    result = hfexact(amqp_settings, "dlq", "list")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "3 dead letter(s)" in out
    assert f"then `hfexact dlq replay {letters['rejected']}`" in out.replace("│ ", "")
    assert 'Exact said: "Dagboek bestaat niet"' in out
    assert "does not match the contract" in out
    assert "this is a bug" in out


def test_json_carries_problem_and_next_step(letters: dict[str, str],
                                            amqp_settings: Settings) -> None:
    rows = {r["id"]: r for r in json.loads(hfexact(amqp_settings, "dlq", "list", "--json")
                                           .output)}
    rejected = rows[letters["rejected"]]
    assert rejected["exact_message"] == "Dagboek bestaat niet"
    assert rejected["problem"].startswith("Exact refused invoice F0042")
    assert rejected["what_to_do"].endswith(f"then `hfexact dlq replay {letters['rejected']}`")
    assert "data.InvoiceCode" in rows[letters["contract"]]["problem"]


def test_show_prints_problem_step_and_exacts_words(letters: dict[str, str],
                                                   amqp_settings: Settings) -> None:
    result = hfexact(amqp_settings, "dlq", "show", letters["rejected"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.output.splitlines()
                 if line[:15].rstrip().endswith(":") and not line.startswith(" "))
    assert lines["Exact said"].strip() == "Dagboek bestaat niet"
    assert lines["what to do"].strip().endswith(f"`hfexact dlq replay {letters['rejected']}`")
    assert "division 123456" in lines["problem"]


def test_replay_logs_progress_lines_when_not_on_a_terminal(
    amqp_probe: AmqpProbe, amqp_settings: Settings, recording_processor: RecordingProcessor,
) -> None:
    """Twelve letters replayed from a pipe: structured progress lines with counts and ETA."""
    amqp_probe.declare(amqp_settings)
    for n in range(12):
        amqp_probe.publish_event("invoice.issued", {"do": "fixable", "n": n})
    Worker(amqp_settings, recording_processor, idle_seconds=0.2).run(burst=True)
    saved = structlog.get_config()  # the command configures logging for the process
    try:
        result = hfexact(amqp_settings, "dlq", "replay", "--all")
    finally:
        structlog.configure(**saved)
    assert "replayed 12 event(s)" in result.stdout
    logs = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    updates = [e for e in logs if e["event"] == "progress.update"]
    assert updates[0]["task"] == "dlq replay"
    assert updates[-1]["done"] == 12
    assert updates[-1]["total"] == 12
    assert updates[-1]["eta_seconds"] == 0
    finished = [e for e in logs if e["event"] == "progress.finished"]
    assert finished[0]["ok"] is True
