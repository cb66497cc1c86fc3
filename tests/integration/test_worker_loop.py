"""The worker loop on the real RabbitMQ: every message ends acked, retried or dead-lettered."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pika
import pytest
import structlog
from structlog.testing import capture_logs

if TYPE_CHECKING:
    from tests.integration.amqp_fixtures import AmqpProbe, AmqpVhost, RecordingProcessor

from tests.fixtures.exact import sandbox_login
from tests.fixtures.sandbox import (  # noqa: F401 - fixtures sandbox and sandbox_server
    DIVISION,
    SandboxControl,
    sandbox_fixture,
    sandbox_server_fixture,
)

from hfexact.amqp import failures as f
from hfexact.amqp.consumer import lane_index
from hfexact.cli import main
from hfexact.config import Settings
from hfexact.errors import AuthorizationLost
from hfexact.status_cli import collect
from hfexact.store import open_store
from hfexact.worker_loop import Worker

pytest_plugins = ("tests.integration.amqp_fixtures",)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def make_worker(settings: Settings, processor: RecordingProcessor, **kw: Any) -> Worker:
    kw.setdefault("idle_seconds", 0.2)
    return Worker(settings, processor, **kw)


def run_with_sigterm_at(worker: Worker, processor: RecordingProcessor, action: str) -> Any:
    """Run the worker with its signal handlers; events doing ``action`` send it a SIGTERM and
    go on once the handler ran (the message is still in hand)."""
    def send_term(_meta: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not worker.stop_requested and time.monotonic() < deadline:
            time.sleep(0.01)

    processor.hooks[action] = send_term
    restore = worker.install_signal_handlers()
    try:
        return worker.run()
    finally:
        restore()


@pytest.fixture
def processor(recording_processor: RecordingProcessor) -> RecordingProcessor:
    return recording_processor


@pytest.fixture
def declared(amqp_probe: AmqpProbe, amqp_settings: Settings) -> AmqpProbe:
    amqp_probe.declare(amqp_settings)
    return amqp_probe


class TestSuccess:
    def test_results_are_published_and_the_event_acked(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """An Outcome's results land on <P>.results (routing key = type) and the queue empties."""
        mid = declared.publish_event("invoice.issued", {"do": "ok", "code": "F0001"})
        stats = make_worker(amqp_settings, processor).run(burst=True)
        assert stats.outcomes == {"done": 1}
        assert stats.stopped_because == "drained"
        (result,) = declared.wait_for(declared.names.bridge_results, 1)
        assert result.routing_key == "export.succeeded"
        assert result.properties.message_id == f"res-{mid}"
        assert result.properties.delivery_mode == 2
        assert result.headers["x-hfexact-event-id"] == mid
        assert result.json()["data"]["hostfact_code"] == "F0001"
        assert declared.depth(declared.names.exact) == 0
        assert declared.depth(declared.names.exact_dead) == 0

    def test_meta_carries_the_delivery(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """The processor sees message id, content type, routing key and headers."""
        mid = declared.publish_event("debtor.upserted", {"do": "ok"}, headers={"x-source": "hf"})
        make_worker(amqp_settings, processor).run(burst=True)
        (call,) = processor.calls
        assert call.meta.message_id == mid
        assert call.meta.content_type == "application/json"
        assert call.meta.routing_key == "debtor.upserted"
        assert call.meta.headers["x-source"] == "hf"
        assert call.meta.redelivered is False

    def test_one_summary_log_line_per_event(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Each event ends with exactly one line naming id, type, code, outcome, Exact id, time."""
        ok = declared.publish_event("invoice.issued", {"do": "ok", "code": "F0002"})
        bad = declared.publish_event("invoice.issued", {"do": "permanent"})
        with capture_logs() as logs:
            make_worker(amqp_settings, processor).run(burst=True)
        per_event = [e for e in logs if e.get("event_id") in (ok, bad)]
        assert len(per_event) == 2
        done = next(e for e in per_event if e["event_id"] == ok)
        assert done["event"] == "event.processed"
        assert done["event_type"] == "invoice.issued"
        assert done["hostfact_code"] == "F0002"
        assert done["outcome"] == "done"
        assert done["exact_id"] == f"exact-{ok}"
        assert isinstance(done["duration_ms"], float)
        failed = next(e for e in per_event if e["event_id"] == bad)
        assert failed["event"] == "event.dead_lettered"
        assert failed["error"] == "contract"

    def test_max_messages_stops_after_n(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """--max-messages N handles N messages and leaves the rest in the queue."""
        for _ in range(3):
            declared.publish_event("invoice.issued", {"do": "ok"})
        stats = make_worker(amqp_settings, processor).run(max_messages=2)
        assert stats.handled == 2
        assert stats.stopped_because == "max-messages"
        declared.wait_depth(declared.names.exact, 1)  # the prefetched one comes back


class TestPermanent:
    def test_dead_lettered_at_once_with_reason_headers(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """A PermanentError is never retried: one call, then <P>.exact.dead with its reasons."""
        body = json.dumps({"do": "permanent", "code": "F0003"}).encode()
        mid = declared.publish_event("invoice.issued", body)
        stats = make_worker(amqp_settings, processor).run(burst=True)
        assert len(processor.calls) == 1
        assert stats.outcomes == {"dead_lettered": 1}
        (dead,) = declared.wait_for(declared.names.exact_dead, 1)
        assert dead.body == body
        assert dead.properties.message_id == mid
        assert dead.properties.type == "invoice.issued"
        assert dead.properties.content_type == "application/json"
        h = dead.headers
        assert h[f.H_ERROR] == "contract"
        assert "contract" in h[f.H_REASON]
        assert json.loads(h[f.H_MESSAGES]) == {
            "data": {"InvoiceCode": ["Missing data for required field."]}
        }
        assert h[f.H_ATTEMPTS] == 0
        assert h[f.H_ROUTING_KEY] == "invoice.issued"
        assert h[f.H_EXCHANGE] == declared.names.events
        assert h[f.H_FIRST_FAILED_AT] == h[f.H_FAILED_AT]
        assert declared.depth(declared.names.exact) == 0

    def test_results_carried_by_the_error_are_published(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """An Exact rejection dead-letters with Exact's message and publishes export.failed."""
        mid = declared.publish_event("invoice.issued", {"do": "rejected"})
        make_worker(amqp_settings, processor).run(burst=True)
        (dead,) = declared.wait_for(declared.names.exact_dead, 1)
        assert dead.headers[f.H_ERROR] == "exact_rejected"
        assert json.loads(dead.headers[f.H_MESSAGES])["exact_message"] == "Dagboek bestaat niet"
        (result,) = declared.wait_for(declared.names.bridge_results, 1)
        assert result.routing_key == "export.failed"
        assert result.properties.message_id == f"failed-{mid}"


class TestTransient:
    def test_retried_with_backoff_then_succeeds(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Two 503s then success: three calls, growing delays, attempts counted in a header."""
        mid = declared.publish_event("invoice.issued", {"do": "transient", "failures": 2})
        stats = make_worker(amqp_settings, processor).run(burst=True)
        calls = processor.calls_for(mid)
        assert len(calls) == 3
        assert [f.attempts_of(c.meta.headers) for c in calls] == [0, 1, 2]
        # equal jitter: attempt n waits within [E/2, E], E = 50 ms * 2**(n-1)
        assert calls[1].at - calls[0].at >= 0.025
        assert calls[2].at - calls[1].at >= 0.050
        assert calls[2].meta.routing_key == "invoice.issued"  # not the retry route
        assert calls[2].meta.headers[f.H_LAST_ERROR] == "transient"
        assert stats.outcomes == {"retry_scheduled": 2, "done": 1}
        assert declared.depth(declared.names.exact_dead) == 0
        assert len(declared.wait_for(declared.names.bridge_results, 1)) == 1

    def test_exhausted_attempts_are_dead_lettered(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """After max_attempts (3) failures the event is dead-lettered with the count."""
        mid = declared.publish_event("invoice.issued", {"do": "transient"})
        make_worker(amqp_settings, processor).run(burst=True)
        assert len(processor.calls_for(mid)) == 3
        (dead,) = declared.wait_for(declared.names.exact_dead, 1)
        assert dead.headers[f.H_ERROR] == "transient"
        assert dead.headers[f.H_ATTEMPTS] == 3
        assert "gave up after 3 attempts" in dead.headers[f.H_REASON]
        assert "503" in dead.headers[f.H_REASON]
        assert f.H_LAST_ERROR not in dead.headers
        assert "x-death" not in dead.headers


class TestRateLimited:
    def test_delayed_until_retry_at_without_counting_an_attempt(
        self, amqp_probe: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """RateLimited waits until retry_at (at most the longest retry delay) and is no attempt."""
        settings = dataclasses.replace(amqp_settings, retry_max_seconds=2.0)
        amqp_probe.declare(settings)
        mid = amqp_probe.publish_event("invoice.issued", {"do": "rate_limited", "wait": 0.6,
                                                           "division": 777})
        stats = make_worker(settings, processor).run(burst=True)
        first, second = processor.calls_for(mid)
        assert second.at - first.at >= 0.6
        assert f.attempts_of(second.meta.headers) == 0
        assert second.meta.headers[f.H_RATE_LIMITED] == 1
        assert stats.outcomes == {"rate_limited": 1, "done": 1}
        assert amqp_probe.depth(amqp_probe.names.exact_dead) == 0

    def test_single_division_pauses_consumption(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """With one division the worker stops taking messages until the budget resets."""
        mid = declared.publish_event("invoice.issued", {"do": "rate_limited", "wait": 0.3,
                                                        "division": 123456})
        other = declared.publish_event("invoice.issued", {"do": "ok"})
        with capture_logs() as logs:
            make_worker(amqp_settings, processor, concurrency=1).run(burst=True)
        assert any(e["event"] == "worker.paused" for e in logs)
        assert processor.calls_for(other)[0].at - processor.calls_for(mid)[0].at >= 0.3

    def test_with_lanes_nothing_starts_during_the_pause(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Two lanes: what was in flight with the rate-limited event finishes, then nothing
        starts until the reset; every event is still booked once."""
        mid = declared.publish_event("invoice.issued", {"do": "rate_limited", "wait": 1.0,
                                                        "division": 123456})
        others = [declared.publish_event("invoice.issued", {"do": "ok"}) for _ in range(4)]
        with capture_logs() as logs:
            stats = make_worker(amqp_settings, processor, concurrency=2).run(burst=True)
        assert any(e["event"] == "worker.paused" for e in logs)
        limited_at = processor.calls_for(mid)[0].at
        starts = [c.at - limited_at for c in processor.calls if c.meta.message_id in others]
        assert not [t for t in starts if 0.25 < t < 1.0], starts
        assert set(processor.effects) == {mid, *others}
        assert stats.outcomes["done"] == 5
        assert declared.depth(declared.names.exact_dead) == 0


class TestLanes:
    def test_events_of_other_parties_run_side_by_side(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Four lanes, four slow events of debtors on four lanes: they overlap, all acked."""
        by_lane: dict[int, str] = {}
        for n in range(100):  # debtor codes that hash to four different lanes
            by_lane.setdefault(lane_index(f"DebtorCode:DB{n}".encode(), 4), f"DB{n}")
        for code in by_lane.values():
            declared.publish_event("invoice.issued", {"do": "sleep", "seconds": 0.4,
                                                      "data": {"DebtorCode": code}})
        started = time.monotonic()
        stats = make_worker(amqp_settings, processor, concurrency=4).run(burst=True)
        assert stats.outcomes == {"done": 4}
        starts = sorted(c.at for c in processor.calls)
        assert starts[-1] - starts[0] < 0.3, "all four started before the first one ended"
        assert time.monotonic() - started < 4 * 0.4 + 1.5
        assert declared.depth(declared.names.exact) == 0

    def test_one_partys_events_keep_their_order(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Events of one debtor take one lane: processed in the order they were published."""
        ids = [declared.publish_event("invoice.issued", {"do": "ok", "n": n,
                                                         "data": {"DebtorCode": "DB7"}})
               for n in range(12)]
        make_worker(amqp_settings, processor, concurrency=4).run(burst=True)
        assert [c.meta.message_id for c in processor.calls] == ids

    def test_settings_and_batches_run_alone(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """A settings change waits for what came before it and nothing runs beside it; so
        does a direct-debit batch."""
        before = [declared.publish_event("invoice.issued", {
            "do": "sleep", "seconds": 0.2, "data": {"DebtorCode": f"DB{n}"}}) for n in range(3)]
        change = declared.publish_event("settings.changed", {"do": "sleep", "seconds": 0.3})
        between = [declared.publish_event("invoice.issued", {
            "do": "ok", "data": {"DebtorCode": f"DB{n}"}}) for n in range(3)]
        batch = declared.publish_event("sdd_batch.downloaded", {"do": "sleep", "seconds": 0.3})
        after = declared.publish_event("invoice.issued", {"do": "ok"})
        stats = make_worker(amqp_settings, processor, concurrency=4).run(burst=True)
        assert stats.outcomes == {"done": 9}
        at = {c.meta.message_id: c.at for c in processor.calls}
        assert min(at[b] for b in between) >= at[change] + 0.3
        assert at[change] >= max(at[b] for b in before) + 0.2
        assert at[batch] >= max(at[b] for b in between)
        assert at[after] >= at[batch] + 0.3


    def test_stop_asked_from_every_lane_still_finishes_what_is_in_flight(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """request_stop from code (a benchmark, the backfill) may come from each lane: it is
        never taken for the operator's second signal."""
        for n in range(4):
            declared.publish_event("invoice.issued", {"do": "stop", "data": {
                "DebtorCode": f"DB{n}"}})
        worker = make_worker(amqp_settings, processor, concurrency=4)

        def stop(_meta: Any) -> None:
            worker.request_stop()
            time.sleep(0.3)  # the others are in flight meanwhile

        processor.hooks["stop"] = stop
        stats = worker.run()
        assert stats.stopped_because == "signal"
        assert len(processor.calls) == len(processor.effects) == stats.outcomes["done"]
        declared.wait_depth(declared.names.exact, 4 - len(processor.effects))


class TestCrashAndBadInput:
    def test_crash_is_dead_lettered_and_the_next_message_processed(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """An unexpected exception dead-letters as crash with a traceback; the loop goes on."""
        declared.publish_event("invoice.issued", {"do": "crash"})
        nxt = declared.publish_event("invoice.issued", {"do": "ok"})
        stats = make_worker(amqp_settings, processor).run(burst=True)
        assert stats.outcomes == {"crashed": 1, "done": 1}
        assert nxt in processor.effects
        (dead,) = declared.wait_for(declared.names.exact_dead, 1)
        assert dead.headers[f.H_ERROR] == "crash"
        assert "KeyError" in dead.headers[f.H_REASON]
        trace = json.loads(dead.headers[f.H_MESSAGES])["traceback"]
        assert any("amqp_fixtures.py" in frame for frame in trace)

    def test_malformed_json_is_dead_lettered(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """A body that is not JSON never stops the worker."""
        declared.publish_event("invoice.issued", b"{not json")
        stats = make_worker(amqp_settings, processor).run(burst=True)
        assert stats.outcomes == {"crashed": 1}
        (dead,) = declared.wait_for(declared.names.exact_dead, 1)
        assert dead.body == b"{not json"

    def test_oversized_body_is_dead_lettered_without_parsing(
        self, amqp_probe: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """A body over max_message_bytes reaches neither the parser nor the processor."""
        settings = dataclasses.replace(amqp_settings, max_message_bytes=1024)
        amqp_probe.declare(settings)
        big = b'{"do": "ok", "pad": "' + b"x" * 4096 + b'"}'
        amqp_probe.publish_event("invoice.issued", big)
        small = amqp_probe.publish_event("invoice.issued", {"do": "ok"})
        stats = make_worker(settings, processor).run(burst=True)
        assert [c.meta.message_id for c in processor.calls] == [small]
        assert stats.outcomes == {"dead_lettered": 1, "done": 1}
        (dead,) = amqp_probe.wait_for(amqp_probe.names.exact_dead, 1)
        assert dead.headers[f.H_ERROR] == "contract"
        assert "over the limit of 1024" in dead.headers[f.H_REASON]
        assert dead.body == big


class TestRedeliveryAndStopping:
    def test_redelivered_message_is_handled_once(
        self, declared: AmqpProbe, amqp_vhost: AmqpVhost, amqp_settings: Settings,
        processor: RecordingProcessor,
    ) -> None:
        """A message a crashed consumer held comes back flagged redelivered and is processed."""
        mid = declared.publish_event("invoice.issued", {"do": "ok"})
        crashed = pika.BlockingConnection(pika.URLParameters(amqp_vhost.admin_url))
        ch = crashed.channel()
        method, _props, _body = ch.basic_get(declared.names.exact, auto_ack=False)
        assert method is not None
        crashed.close()  # no ack: the broker returns the message
        stats = make_worker(amqp_settings, processor).run(burst=True)
        (call,) = processor.calls_for(mid)
        assert call.meta.redelivered is True
        assert stats.outcomes == {"done": 1}

    def test_duplicate_delivery_republishes_the_same_results(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """The same event twice: one effect, and the second run's results have the same id."""
        mid = declared.publish_event("invoice.issued", {"do": "ok"})
        declared.publish_event("invoice.issued", {"do": "ok"}, message_id=mid)
        stats = make_worker(amqp_settings, processor).run(burst=True)
        assert stats.outcomes == {"done": 1, "duplicate": 1}
        assert len(processor.effects) == 1
        results = declared.wait_for(declared.names.bridge_results, 2)
        assert {r.properties.message_id for r in results} == {f"res-{mid}"}

    def test_authorization_lost_requeues_and_stops(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """A dead refresh token stops the worker with AuthorizationLost; the event waits."""
        declared.publish_event("invoice.issued", {"do": "auth"})
        declared.publish_event("invoice.issued", {"do": "ok"})
        with pytest.raises(AuthorizationLost, match="hfexact auth login"):
            make_worker(amqp_settings, processor, concurrency=1).run(burst=True)
        assert len(processor.calls) == 1
        declared.wait_depth(declared.names.exact, 2)
        assert declared.depth(declared.names.exact_dead) == 0

    def test_authorization_lost_with_lanes_settles_what_is_in_flight(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Three lanes: the events in flight beside the failing one are booked and acked before
        the worker stops; the failing one and the rest wait in the queue."""
        declared.publish_event("invoice.issued", {"do": "auth"})
        for _ in range(5):
            declared.publish_event("invoice.issued", {"do": "ok"})
        with pytest.raises(AuthorizationLost):
            make_worker(amqp_settings, processor, concurrency=3).run(burst=True)
        booked = len(processor.effects)
        assert 0 < booked < 5
        declared.wait_depth(declared.names.exact, 6 - booked)
        assert len(declared.wait_for(declared.names.bridge_results, booked)) == booked
        assert declared.depth(declared.names.exact_dead) == 0

    def test_sigterm_finishes_the_current_message(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """The first SIGTERM lets the message in hand finish and be acked, then stops."""
        first = declared.publish_event("invoice.issued", {"do": "term"})
        declared.publish_event("invoice.issued", {"do": "ok"})
        declared.publish_event("invoice.issued", {"do": "ok"})

        stats = run_with_sigterm_at(make_worker(amqp_settings, processor, concurrency=1),
                                    processor, "term")
        assert stats.stopped_because == "signal"
        assert list(processor.effects) == [first]
        declared.wait_depth(declared.names.exact, 2)

    def test_sigterm_with_lanes_finishes_what_is_in_flight(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """Two lanes: after SIGTERM what is in flight is booked and acked, nothing new starts,
        and the rest stays in the queue."""
        slow = declared.publish_event("invoice.issued", {"do": "sleep", "seconds": 0.5})
        first = declared.publish_event("invoice.issued", {"do": "term"})
        for _ in range(4):
            declared.publish_event("invoice.issued", {"do": "ok"})
        stats = run_with_sigterm_at(make_worker(amqp_settings, processor, concurrency=2),
                                    processor, "term")
        assert stats.stopped_because == "signal"
        assert {slow, first} <= set(processor.effects)  # the slow one was in flight: finished
        assert len(processor.calls) == len(processor.effects)  # nothing abandoned midway
        declared.wait_depth(declared.names.exact, 6 - len(processor.effects))

    def test_second_signal_stops_at_once(
        self, declared: AmqpProbe, amqp_settings: Settings, processor: RecordingProcessor
    ) -> None:
        """A second SIGTERM abandons the message in hand; the broker keeps it for later."""
        declared.publish_event("invoice.issued", {"do": "slow_term", "seconds": 5})

        second: list[float] = []
        worker = make_worker(amqp_settings, processor)

        def send_two(_meta: Any) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            deadline = time.monotonic() + 5  # signals of one kind coalesce until handled
            while not worker.stop_requested and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(os.getpid(), signal.SIGTERM)
            second.append(time.monotonic())
            time.sleep(5)

        processor.hooks["slow_term"] = send_two
        restore = worker.install_signal_handlers()
        try:
            stats = worker.run()
        finally:
            restore()
        assert time.monotonic() - second[0] < 3.0  # not the 5 s the message would take
        assert "second signal" in stats.stopped_because
        declared.wait_depth(declared.names.exact, 1)


class TestConnection:
    def test_heartbeats_are_served_during_long_processing(
        self, declared: AmqpProbe, amqp_vhost: AmqpVhost, amqp_settings: Settings,
        processor: RecordingProcessor,
    ) -> None:
        """Processing longer than the heartbeat timeout keeps the connection (no reconnect)."""
        settings = dataclasses.replace(
            amqp_settings, amqp_url=amqp_vhost.url(query="heartbeat=1"))
        declared.publish_event("invoice.issued", {"do": "sleep", "seconds": 4})
        stats = make_worker(settings, processor).run(burst=True)
        assert stats.reconnects == 0
        assert stats.outcomes == {"done": 1}
        assert declared.depth(declared.names.exact) == 0

    def test_reconnects_after_the_broker_drops_the_connection(
        self, declared: AmqpProbe, amqp_vhost: AmqpVhost, amqp_settings: Settings,
        processor: RecordingProcessor,
    ) -> None:
        """A connection closed by the broker mid-message: reconnect, redelivery, one effect."""
        mid = declared.publish_event("invoice.issued", {"do": "drop"})
        dropped = threading.Event()

        def drop_connection(_meta: Any) -> None:
            if dropped.is_set():
                return
            dropped.set()
            assert amqp_vhost.close_connections_of(amqp_vhost.user) >= 1
            time.sleep(0.5)

        processor.hooks["drop"] = drop_connection
        stats = make_worker(amqp_settings, processor).run(burst=True)
        assert stats.reconnects >= 1
        calls = processor.calls_for(mid)
        assert len(calls) == 2
        assert calls[1].meta.redelivered is True
        assert len(processor.effects) == 1
        results = declared.wait_for(declared.names.bridge_results, 1)
        assert {r.properties.message_id for r in results} == {f"res-{mid}"}
        assert declared.depth(declared.names.exact) == 0


EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "valid"


class TestWorkerCommand:
    """`hfexact worker` wired to the real processor, store and Exact sandbox."""

    @pytest.fixture
    def env(self, amqp_settings: Settings, sandbox: SandboxControl, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
        env = {
            "HFEXACT_AMQP_URL": amqp_settings.amqp_url,
            "HFEXACT_AMQP_PREFIX": amqp_settings.amqp_prefix,
            "HFEXACT_RETRY_BASE_SECONDS": "0.05", "HFEXACT_RETRY_MAX_SECONDS": "0.4",
            "HFEXACT_MAX_ATTEMPTS": "3",
            "HFEXACT_STORE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
            "HFEXACT_EXACT_BASE_URL": sandbox.base_url,
            "HFEXACT_EXACT_CLIENT_ID": "demo", "HFEXACT_EXACT_CLIENT_SECRET": "demo",
            "HFEXACT_EXACT_REDIRECT_URI": "http://127.0.0.1:0/callback",
            "HFEXACT_EXACT_DIVISION": str(DIVISION),
            "HFEXACT_LOG_FORMAT": "json", "HFEXACT_CONFIG": "",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        saved = structlog.get_config()  # the command configures logging for the process
        yield env
        structlog.configure(**saved)

    def test_burst_processes_events_and_records_activity(
        self, env: dict[str, str], declared: AmqpProbe, sandbox: SandboxControl,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Settings then a debtor: both answered on <P>.results; status shows the success."""
        settings = Settings.from_env(env)
        store = open_store(settings.store_url)
        sandbox_login(settings, store, sandbox)
        store.close()
        for path in ("settings.changed/design-defaults.json",
                     "debtor.upserted/dutch-bv-with-vat-and-kvk.json"):
            event = json.loads((EXAMPLES / path).read_text())
            declared.publish_event(event["type"], event, message_id=event["id"])
        assert main(["worker", "--burst"]) in (0, None)
        results = declared.wait_for(declared.names.bridge_results, 2)
        assert sorted(r.routing_key for r in results) == ["export.succeeded",
                                                          "settings.validated"]
        assert declared.depth(declared.names.exact) == 0
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()
                 if line.startswith("{")]
        processed = [line for line in lines if line["event"] == "event.processed"]
        assert [p["outcome"] for p in processed] == ["done", "done"]
        report = collect(settings)
        assert set(report["last_success"]) == {"settings.changed", "debtor.upserted"}

    def test_lost_authorization_exits_3_and_keeps_the_event(
        self, env: dict[str, str], declared: AmqpProbe, capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Without Exact tokens the worker stops with exit code 3 and the login hint."""
        event = json.loads((EXAMPLES / "settings.changed/design-defaults.json").read_text())
        declared.publish_event(event["type"], event, message_id=event["id"])
        with pytest.raises(SystemExit) as exited:
            main(["worker", "--burst"])
        assert exited.value.code == 3
        assert "hfexact auth login" in capsys.readouterr().err
        declared.wait_depth(declared.names.exact, 1)
