"""`hfexact dlq` on the real RabbitMQ: list, show, replay (idempotent), purge."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pika
import pytest
from click.testing import CliRunner, Result

from hfexact.amqp import failures as f
from hfexact.cli import cli, main
from hfexact.config import Settings
from hfexact.worker_loop import Worker

if TYPE_CHECKING:
    from tests.integration.amqp_fixtures import AmqpProbe, RecordingProcessor

pytest_plugins = ("tests.integration.amqp_fixtures",)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def env_of(settings: Settings) -> dict[str, str]:
    return {"HFEXACT_AMQP_URL": settings.amqp_url, "HFEXACT_AMQP_PREFIX": settings.amqp_prefix,
            "HFEXACT_RETRY_BASE_SECONDS": str(settings.retry_base_seconds),
            "HFEXACT_RETRY_MAX_SECONDS": str(settings.retry_max_seconds),
            "HFEXACT_CONFIG": ""}


def hfexact(settings: Settings, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env_of(settings), input=input,
                              catch_exceptions=False)


def drain(settings: Settings, processor: RecordingProcessor) -> dict[str, int]:
    return dict(Worker(settings, processor, idle_seconds=0.2).run(burst=True).outcomes)


@pytest.fixture
def processor(recording_processor: RecordingProcessor) -> RecordingProcessor:
    return recording_processor


@pytest.fixture
def declared(amqp_probe: AmqpProbe, amqp_settings: Settings) -> AmqpProbe:
    amqp_probe.declare(amqp_settings)
    return amqp_probe


def invoice(code: str, do: str = "fixable") -> dict[str, Any]:
    return {"do": do, "type": "invoice.issued", "data": {"InvoiceCode": code}}


class TestList:
    def test_lists_id_type_code_reason_and_age_without_consuming(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """The table names each letter; the queue still holds them afterwards."""
        mid = declared.publish_event("invoice.issued", invoice("F0042"))
        drain(amqp_settings, processor)
        result = hfexact(amqp_settings, "dlq", "list")
        assert result.exit_code == 0, result.output
        assert mid in result.output
        assert "invoice.issued" in result.output
        assert "F0042" in result.output
        assert "contract" in result.output
        assert "1 dead letter(s)" in result.output
        assert declared.depth(declared.names.exact_dead) == 1

    def test_json_output(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """--json gives the reason, the field messages and the age in seconds."""
        mid = declared.publish_event("invoice.issued", invoice("F0043"))
        drain(amqp_settings, processor)
        (row,) = json.loads(hfexact(amqp_settings, "dlq", "list", "--json").output)
        assert row["id"] == mid
        assert row["hostfact_code"] == "F0043"
        assert row["error"] == "contract"
        assert row["messages"] == {"data": {"InvoiceCode": ["Missing data for required field."]}}
        assert 0 <= row["age_seconds"] < 60

    def test_empty_queue(self, declared: AmqpProbe, amqp_settings: Settings) -> None:
        """An empty dead-letter queue says so."""
        result = hfexact(amqp_settings, "dlq", "list")
        assert result.exit_code == 0
        assert "no dead letters" in result.output

    def test_missing_topology_is_a_clear_error(
        self, amqp_settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Before `topology declare` the command explains what is missing (exit 2)."""
        for key, value in env_of(amqp_settings).items():
            monkeypatch.setenv(key, value)
        with pytest.raises(SystemExit) as exited:
            main(["dlq", "list"])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert f"{amqp_settings.amqp_prefix}.exact.dead" in err
        assert "hfexact topology" in err


class TestShow:
    def test_show_prints_reason_messages_and_body(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """`show ID --body` prints the reason, the field errors and the event."""
        mid = declared.publish_event("invoice.issued", invoice("F0044"))
        drain(amqp_settings, processor)
        result = hfexact(amqp_settings, "dlq", "show", mid[:8], "--body")
        assert result.exit_code == 0, result.output
        assert f"id:             {mid}" in result.output
        assert "Missing data for required field." in result.output
        assert '"InvoiceCode": "F0044"' in result.output

    def test_unknown_id_fails(self, declared: AmqpProbe, amqp_settings: Settings) -> None:
        """An id that is not there exits 1."""
        result = CliRunner().invoke(cli, ["dlq", "show", "nope"], env=env_of(amqp_settings))
        assert result.exit_code == 1
        assert "no dead letter with id 'nope'" in result.output


class TestReplay:
    def test_replay_republishes_original_key_and_id_and_lands_once(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """After the fix, a replayed event is processed once with its own id and routing key."""
        mid = declared.publish_event("invoice.issued", invoice("F0045"),
                                     headers={"x-source": "relay"})
        drain(amqp_settings, processor)
        processor.fixed = True
        result = hfexact(amqp_settings, "dlq", "replay", mid)
        assert result.exit_code == 0, result.output
        assert "replayed 1 event(s)" in result.output
        assert declared.depth(declared.names.exact_dead) == 0
        assert drain(amqp_settings, processor) == {"done": 1}
        replayed = processor.calls_for(mid)[-1].meta
        assert replayed.routing_key == "invoice.issued"
        assert replayed.headers["x-source"] == "relay"
        assert replayed.headers[f.H_REPLAYS] == 1
        assert f.H_ERROR not in replayed.headers
        assert f.attempts_of(replayed.headers) == 0
        assert list(processor.effects) == [mid]

    def test_replaying_twice_lands_once(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Two copies of one event, replayed twice: one republish, one effect."""
        mid = declared.publish_event("invoice.issued", invoice("F0046"))
        declared.publish_event("invoice.issued", invoice("F0046"), message_id=mid)
        drain(amqp_settings, processor)
        assert declared.depth(declared.names.exact_dead) == 2
        processor.fixed = True
        first = hfexact(amqp_settings, "dlq", "replay", "--all")
        assert "replayed 1 event(s)" in first.output
        assert "removed 1 extra copies" in first.output
        second = hfexact(amqp_settings, "dlq", "replay", mid)
        assert second.exit_code == 1
        assert "not found" in second.output
        assert drain(amqp_settings, processor) == {"done": 1}
        assert len(processor.effects) == 1

    def test_replay_of_an_event_whose_effect_landed_is_a_duplicate(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """An event that did its effect before failing is not doubled by a replay."""
        mid = declared.publish_event("invoice.issued", invoice("F0047", do="ok"))
        drain(amqp_settings, processor)
        # the same event dead-lettered after its effect landed (a crash between call and ack)
        declared.channel.basic_publish(
            declared.names.dead, declared.names.exact,
            json.dumps(invoice("F0047", do="ok")).encode(),
            pika.BasicProperties(message_id=mid, type="invoice.issued", delivery_mode=2,
                                 headers={f.H_ERROR: "crash", f.H_REASON: "boom",
                                          f.H_ROUTING_KEY: "invoice.issued"}),
            mandatory=True)
        assert hfexact(amqp_settings, "dlq", "replay", mid).exit_code == 0
        assert drain(amqp_settings, processor) == {"duplicate": 1}
        assert len(processor.effects) == 1

    def test_letter_stays_when_the_republish_is_not_confirmed(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """If nothing takes the republished event, the dead letter is kept."""
        mid = declared.publish_event("invoice.issued", invoice("F0048"))
        drain(amqp_settings, processor)
        declared.channel.queue_unbind(declared.names.exact, declared.names.events, "#")
        result = CliRunner().invoke(cli, ["dlq", "replay", mid], env=env_of(amqp_settings))
        assert result.exit_code == 1
        assert "no queue is bound" in result.output
        assert declared.depth(declared.names.exact_dead) == 1

    def test_many_letters_replay_all(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """--all replays every letter (with a progress bar on a terminal)."""
        ids = [declared.publish_event("invoice.issued", invoice(f"F1{n:03}")) for n in range(12)]
        drain(amqp_settings, processor)
        processor.fixed = True
        result = hfexact(amqp_settings, "dlq", "replay", "--all")
        assert "replayed 12 event(s)" in result.output
        assert drain(amqp_settings, processor) == {"done": 12}
        assert sorted(processor.effects) == sorted(ids)

    def test_replay_needs_ids_or_all(self, declared: AmqpProbe, amqp_settings: Settings) -> None:
        """Without ids and without --all nothing happens (usage error)."""
        result = CliRunner().invoke(cli, ["dlq", "replay"], env=env_of(amqp_settings))
        assert result.exit_code == 2


class TestPurge:
    def test_purge_asks_first(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Answering no keeps every letter; --yes deletes them."""
        declared.publish_event("invoice.issued", invoice("F0050"))
        declared.publish_event("invoice.issued", invoice("F0051"))
        drain(amqp_settings, processor)
        refused = CliRunner().invoke(cli, ["dlq", "purge"], env=env_of(amqp_settings), input="n\n")
        assert refused.exit_code != 0
        assert declared.depth(declared.names.exact_dead) == 2
        done = hfexact(amqp_settings, "dlq", "purge", "--yes")
        assert "purged 2" in done.output
        assert declared.depth(declared.names.exact_dead) == 0

    def test_purge_one_id(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Purging an id removes that letter only."""
        gone = declared.publish_event("invoice.issued", invoice("F0052"))
        kept = declared.publish_event("invoice.issued", invoice("F0053"))
        drain(amqp_settings, processor)
        result = hfexact(amqp_settings, "dlq", "purge", gone, input="y\n")
        assert "purged 1" in result.output
        (left,) = declared.take_all(declared.names.exact_dead)
        assert left.properties.message_id == kept


class TestStatus:
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        from hfexact.store import Budget, TokenSet, open_store

        url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
        store = open_store(url)
        now = time.time()
        store.record_budget(123456, Budget(60, 42, now + 30, 5000, 4900, now + 3600))
        store.save_tokens("demo", TokenSet("access", "refresh", now + 300, now - 300))
        store.record_outcome("e1", "invoice.issued", "done", "F0001", "guid", 12.0)
        store.close()
        return url

    def status(self, settings: Settings, store_url: str, *args: str) -> Result:
        env = env_of(settings) | {"HFEXACT_STORE_URL": store_url,
                                  "HFEXACT_EXACT_CLIENT_ID": "demo",
                                  "HFEXACT_EXACT_DIVISION": "123456"}
        return CliRunner().invoke(cli, ["status", *args], env=env, catch_exceptions=False)

    def test_json_reports_queues_budget_token_and_last_success(
        self, declared: AmqpProbe, amqp_settings: Settings, store_url: str
    ) -> None:
        """A healthy bridge: depths, budget left per division, token expiry; exit 0."""
        declared.publish_event("invoice.issued", {"do": "ok"})
        result = self.status(amqp_settings, store_url, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["queues"]["exact"] == {"messages": 1, "consumers": 0}
        assert report["queues"]["retry"]["messages"] == 0
        assert report["dead_letters"] == 0
        budget = report["rate_budget"]["123456"]
        assert (budget["minute_remaining"], budget["minute_limit"]) == (42, 60)
        assert (budget["day_remaining"], budget["day_limit"]) == (4900, 5000)
        assert 0 < budget["minute_resets_in"] <= 30
        assert 250 < report["token"]["expires_in"] <= 300
        assert list(report["last_success"]) == ["invoice.issued"]
        assert report["problems"] == []

    def test_dead_letters_make_it_exit_1(
        self, declared: AmqpProbe, amqp_settings: Settings, store_url: str,
        processor: RecordingProcessor,
    ) -> None:
        """Waiting dead letters are shown and make status exit 1 (for monitoring)."""
        declared.publish_event("invoice.issued", invoice("F0060"))
        drain(amqp_settings, processor)
        result = self.status(amqp_settings, store_url)
        assert result.exit_code == 1
        assert "dead letters: 1" in result.output
        assert "Exact rate budget" in result.output
        assert "42/60" in result.output

    def test_missing_parts_are_problems_not_crashes(
        self, amqp_settings: Settings, tmp_path: Path
    ) -> None:
        """No topology and no store yet: both named as problems, exit 1."""
        result = self.status(amqp_settings, f"sqlite:///{tmp_path / 'none.sqlite3'}", "--json")
        assert result.exit_code == 1
        problems = json.loads(result.output)["problems"]
        assert any("hfexact topology declare" in p for p in problems)
        assert any("does not exist yet" in p for p in problems)
