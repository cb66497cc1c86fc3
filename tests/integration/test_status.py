"""`hfexact status` on the real broker, store and sandbox: the table, --json and the problems."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console
from tests.fixtures.exact import sandbox_login
from tests.fixtures.sandbox import (  # noqa: F401 - fixtures sandbox and sandbox_server
    DIVISION,
    SandboxControl,
    sandbox_fixture,
    sandbox_server_fixture,
)

from hfexact.cli import cli
from hfexact.config import Settings
from hfexact.processing import build_processor
from hfexact.status_cli import collect, render
from hfexact.store import open_store
from hfexact.worker_loop import Worker

if TYPE_CHECKING:
    from tests.integration.amqp_fixtures import AmqpProbe

pytest_plugins = ("tests.integration.amqp_fixtures",)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "valid"


def env_of(settings: Settings) -> dict[str, str]:
    return {"HFEXACT_CONFIG": "", "HFEXACT_AMQP_URL": settings.amqp_url,
            "HFEXACT_AMQP_PREFIX": settings.amqp_prefix,
            "HFEXACT_RETRY_BASE_SECONDS": "0.05", "HFEXACT_RETRY_MAX_SECONDS": "0.4",
            "HFEXACT_STORE_URL": settings.store_url,
            "HFEXACT_EXACT_BASE_URL": settings.exact_base_url,
            "HFEXACT_EXACT_CLIENT_ID": "demo", "HFEXACT_EXACT_DIVISION": str(DIVISION)}


def status(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(cli, ["status", *args], env=env_of(settings),
                              catch_exceptions=False)


@pytest.fixture
def settings(amqp_settings: Settings, sandbox: SandboxControl, tmp_path: Path) -> Settings:
    values = dataclasses.replace(
        amqp_settings, store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        exact_base_url=sandbox.base_url, exact_client_id="demo", exact_client_secret="demo",
        exact_redirect_uri="http://127.0.0.1:0/callback", exact_division=DIVISION)
    store = open_store(values.store_url)
    sandbox_login(values, store, sandbox)
    store.close()
    return values


@pytest.fixture
def worked(settings: Settings, amqp_probe: AmqpProbe) -> Settings:
    """Settings and a debtor booked, one broken event dead-lettered, by the real worker."""
    amqp_probe.declare(settings)
    for path in ("settings.changed/design-defaults.json",
                 "debtor.upserted/dutch-bv-with-vat-and-kvk.json"):
        event: dict[str, Any] = json.loads((EXAMPLES / path).read_text())
        amqp_probe.publish_event(event["type"], event, message_id=event["id"])
    amqp_probe.publish_event("invoice.issued", {"not": "an event"})
    processor = build_processor(settings)
    store = processor.store
    try:
        Worker(settings, processor, idle_seconds=0.2,
               on_settled=lambda s: store.record_outcome(s.event_id, s.event_type, s.outcome,
                                                         s.hostfact_code, s.exact_id,
                                                         s.duration_ms)).run(burst=True)
    finally:
        processor.close()
    return settings


def test_json_reports_every_part(worked: Settings) -> None:
    """Queues, dead letters, lag, budget, token, settings validity and last success."""
    result = status(worked, "--json")
    assert result.exit_code == 1  # a dead letter waits
    report = json.loads(result.output)
    assert report["queues"]["exact"] == {"messages": 0, "consumers": 0}
    assert report["queues"]["dead_letters"]["messages"] == 1
    assert report["dead_letters"] == 1
    assert report["queue_lag_seconds"] == 0.0
    budget = report["rate_budget"][str(DIVISION)]
    assert budget["minute_limit"] == 60
    assert 0 < budget["minute_remaining"] < 60
    assert budget["day_limit"] == 5000
    assert 0 < report["token"]["expires_in"] <= 600
    assert report["export_settings"]["hf-main"]["valid"] is True
    assert set(report["last_success"]) == {"settings.changed", "debtor.upserted"}
    assert report["problems"] == []
    assert report["healthy"] is False


def test_table_is_readable(worked: Settings) -> None:
    """Piped: plain text with each part named, and where to look for the dead letter."""
    result = status(worked)
    out = result.output
    assert "needs attention" in out
    for words in ("RabbitMQ", "dead_letters", "Exact rate budget", str(DIVISION), "/5000",
                  "Exact access token: expires in", "Export settings", "valid",
                  "Last success per type", "debtor.upserted", "queue lag: 0s",
                  "dead letters: 1 (see `hfexact dlq list`)"):
        assert words in out, words
    assert "\x1b[" not in out  # no colour codes in a pipe


def test_colour_on_a_terminal(worked: Settings) -> None:
    """On a terminal the same report is coloured (red for dead letters)."""
    buffer = io.StringIO()
    render(collect(worked), Console(file=buffer, force_terminal=True, color_system="standard",
                                    width=120))
    assert "\x1b[31m" in buffer.getvalue() or "\x1b[1;31m" in buffer.getvalue()


def test_unreachable_broker_and_missing_store_are_problems_with_a_next_step(
    settings: Settings, tmp_path: Path
) -> None:
    """Nothing to read: each part says what is wrong and what to do; exit 1, no traceback."""
    broken = dataclasses.replace(
        settings, amqp_url="amqp://guest:guest@127.0.0.1:1/%2F",
        store_url=f"sqlite:///{tmp_path / 'missing' / 'store.sqlite3'}")
    result = status(broken)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "problem: RabbitMQ: RabbitMQ at amqp://guest@127.0.0.1:1 vhost '/' is not " \
           "reachable" in text
    assert "start it or fix HFEXACT_AMQP_URL" in text
    assert "does not exist yet; run `hfexact auth login`" in text
    assert not (tmp_path / "missing").exists()  # status never creates a store


def test_waiting_events_without_a_consumer_are_named(settings: Settings,
                                                     amqp_probe: AmqpProbe) -> None:
    """Events wait and no worker runs: a note says to start one (a worker may be restarting,
    so it does not make status fail); the lag is unknown until an event settled."""
    amqp_probe.declare(settings)
    amqp_probe.publish_event("debtor.upserted", {"x": 1})
    result = status(settings, "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["queues"]["exact"]["messages"] == 1
    assert [n for n in report["notes"] if "no worker consumes them" in n]
    assert "note: 1 event(s) wait and no worker consumes them" in status(settings).output
    assert report["queue_lag_seconds"] is None  # nothing settled yet: unknown, not 0
