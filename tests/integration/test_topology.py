"""The broker topology on the real RabbitMQ: idempotent, shared with PHP, least privilege, TLS."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pika
import pika.exceptions
import pytest
from click.testing import CliRunner

from hfexact.amqp import topology
from hfexact.amqp.connection import connect, connection_parameters
from hfexact.amqp.dead_letters import DeadLetterQueue
from hfexact.cli import cli
from hfexact.config import Settings
from hfexact.errors import ConfigError
from hfexact.worker_loop import Worker

if TYPE_CHECKING:
    from tests.integration.amqp_fixtures import (
        AmqpProbe,
        AmqpTracker,
        AmqpVhost,
        RecordingProcessor,
        TlsFiles,
        TlsFront,
    )

pytest_plugins = ("tests.integration.amqp_fixtures",)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

REPO = Path(__file__).resolve().parents[2]

PHP_TOPOLOGY = r"""<?php
require $argv[1] . '/php-bridge/autoload.php';
$topology = new HostFactExact\Amqp\Topology($argv[3]);
if ($argv[4] === 'declare') {
    $endpoint = HostFactExact\Amqp\AmqpEndpoint::fromUrl($argv[2]);
    $connection = (new HostFactExact\Amqp\Connector($endpoint))->connect('topology test');
    $topology->declare($connection->channel());
    $connection->close();
}
echo json_encode(['exchanges' => $topology->exchanges(), 'queues' => $topology->queues(),
                  'bindings' => $topology->bindings()]);
"""


def php_topology(tmp_path: Path, url: str, prefix: str, action: str) -> dict[str, object]:
    script = tmp_path / "topology.php"
    script.write_text(PHP_TOPOLOGY)
    done = subprocess.run(["php", str(script), str(REPO), url, prefix, action],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    result: dict[str, object] = json.loads(done.stdout)
    return result


def ladder(settings: Settings) -> tuple[int, ...]:
    return topology.retry_ladder_ms(settings.retry_base_seconds, settings.retry_max_seconds)


class TestDeclare:
    def test_declaring_twice_is_fine(self, amqp_settings: Settings) -> None:
        """A second declare with the same settings changes nothing and raises nothing."""
        connection = connect(amqp_settings.amqp_url)
        first = topology.declare(connection.channel(), amqp_settings.amqp_prefix,
                                 retry_delays_ms=ladder(amqp_settings))
        second = topology.declare(connection.channel(), amqp_settings.amqp_prefix,
                                  retry_delays_ms=ladder(amqp_settings))
        connection.close()
        assert first == second
        assert [q.name for q in first.queues][-4:] == [
            f"{amqp_settings.amqp_prefix}.retry.{ms}ms" for ms in (50, 100, 200, 400)]

    def test_cli_declare_then_passive_checks(
        self, amqp_settings: Settings, amqp_probe: AmqpProbe
    ) -> None:
        """`hfexact topology declare` creates every queue of the plan."""
        env = {"HFEXACT_AMQP_URL": amqp_settings.amqp_url,
               "HFEXACT_AMQP_PREFIX": amqp_settings.amqp_prefix,
               "HFEXACT_RETRY_BASE_SECONDS": "0.05", "HFEXACT_RETRY_MAX_SECONDS": "0.4"}
        result = CliRunner().invoke(cli, ["topology", "declare"], env=env)
        assert result.exit_code == 0, result.output
        assert "declared 4 exchanges, 8 queues and 9 bindings" in result.output
        for q in topology.plan(amqp_settings.amqp_prefix, ladder(amqp_settings)).queues:
            assert amqp_probe.depth(q.name) == 0

    def test_other_arguments_are_reported_clearly(
        self, amqp_settings: Settings, amqp_probe: AmqpProbe
    ) -> None:
        """A queue declared elsewhere with other arguments is a ConfigError naming it."""
        name = f"{amqp_settings.amqp_prefix}.exact"
        amqp_probe.channel.queue_declare(name, durable=True, arguments={
            "x-queue-type": "quorum", "x-delivery-limit": 5})
        connection = connect(amqp_settings.amqp_url)
        with pytest.raises(ConfigError, match=rf"queue '{name}' exists with other arguments"):
            topology.declare(connection.channel(), amqp_settings.amqp_prefix,
                             retry_delays_ms=ladder(amqp_settings))
        connection.close()

    def test_retries_come_back_to_the_worker_queue_only(
        self, amqp_settings: Settings, amqp_probe: AmqpProbe, amqp_tracker: AmqpTracker
    ) -> None:
        """An expired retry returns to <P>.exact, never to other consumers of <P>.events."""
        amqp_probe.declare(amqp_settings)
        names = amqp_probe.names
        audit = f"{amqp_settings.amqp_prefix}.audit"
        amqp_tracker.queue(audit)
        amqp_probe.channel.queue_declare(audit, durable=True)
        amqp_probe.channel.queue_bind(audit, names.events, "#")
        amqp_probe.channel.basic_publish(
            names.retry_exchange, names.retry_queue(50), b"{}",
            pika.BasicProperties(delivery_mode=2, message_id="r1", expiration="20"),
            mandatory=True)
        (back,) = amqp_probe.wait_for(names.exact, 1, timeout=5)
        assert back.properties.message_id == "r1"
        assert amqp_probe.depth(audit) == 0

    def test_poison_that_kills_consumers_is_dead_lettered_by_the_broker(
        self, amqp_settings: Settings, amqp_probe: AmqpProbe
    ) -> None:
        """Past the delivery limit the broker moves a message to <P>.exact.dead (at least once)."""
        amqp_probe.declare(amqp_settings)
        names = amqp_probe.names
        mid = amqp_probe.publish_event("invoice.issued", {"do": "kill"})
        deliveries = 0
        while True:
            method, _props, _body = amqp_probe.channel.basic_get(names.exact, auto_ack=False)
            if method is None:
                break
            deliveries += 1
            amqp_probe.channel.basic_nack(method.delivery_tag, requeue=True)
        assert deliveries == topology.DELIVERY_LIMIT + 1
        amqp_probe.wait_depth(names.exact_dead, 1)
        (letter,) = DeadLetterQueue(amqp_probe.connection, amqp_settings.amqp_prefix,
                                    clock=lambda: 0.0).browse()
        assert letter.id == mid
        assert letter.kind == "delivery_limit"
        assert letter.routing_key == "invoice.issued"
        assert "killed" in letter.reason


class TestPhpCompatibility:
    def test_php_declares_identical_arguments(
        self, amqp_settings: Settings, amqp_vhost: AmqpVhost, tmp_path: Path
    ) -> None:
        """PHP's Topology lists the same exchanges, queue arguments and bindings as Python's."""
        php = php_topology(tmp_path, amqp_vhost.url(), amqp_settings.amqp_prefix, "show")
        plan = topology.plan(amqp_settings.amqp_prefix, ladder(amqp_settings))
        retry = {plan.names.retry_queue(ms) for ms in plan.retry_delays_ms}
        assert php["exchanges"] == {e.name: e.type for e in plan.exchanges}
        assert php["queues"] == {q.name: dict(q.arguments) for q in plan.queues
                                 if q.name not in retry}
        assert php["bindings"] == [[b.queue, b.exchange, b.routing_key] for b in plan.bindings
                                   if b.queue not in retry]

    def test_php_after_python_and_python_after_php(
        self, amqp_settings: Settings, amqp_vhost: AmqpVhost, tmp_path: Path,
        amqp_tracker: AmqpTracker,
    ) -> None:
        """Whichever side declares first, the other one's declare is accepted by the broker."""
        connection = connect(amqp_settings.amqp_url)
        topology.declare(connection.channel(), amqp_settings.amqp_prefix,
                         retry_delays_ms=ladder(amqp_settings))
        php_topology(tmp_path, amqp_vhost.url(), amqp_settings.amqp_prefix, "declare")
        other = "t" + uuid.uuid4().hex[:8]
        amqp_tracker.topology(other, ladder(amqp_settings))
        php_topology(tmp_path, amqp_vhost.url(), other, "declare")
        topology.declare(connection.channel(), other, retry_delays_ms=ladder(amqp_settings))
        connection.close()


class TestLeastPrivilege:
    @pytest.fixture
    def installation_user(self, amqp_vhost: AmqpVhost, amqp_prefix: str) -> Iterator[str]:
        from tests.integration.amqp_fixtures import rabbitmqctl

        user = f"hfexact-{amqp_prefix}"
        rabbitmqctl("add_user", user, "pw-" + amqp_prefix)
        perms = topology.permissions(amqp_prefix)
        rabbitmqctl(*perms.command(amqp_vhost.name, user)[1:])
        yield amqp_vhost.url(user, "pw-" + amqp_prefix)
        subprocess.run(["rabbitmqctl", "-q", "delete_user", user], capture_output=True,
                       timeout=60, check=False)

    def test_the_installation_user_runs_the_whole_flow(
        self, installation_user: str, amqp_settings: Settings, amqp_probe: AmqpProbe,
        recording_processor: RecordingProcessor,
    ) -> None:
        """Declare, consume, publish results, retry and dead-letter with only <P>.* rights."""
        settings = dataclasses.replace(amqp_settings, amqp_url=installation_user)
        connection = connect(settings.amqp_url)
        topology.declare(connection.channel(), settings.amqp_prefix,
                         retry_delays_ms=ladder(settings))
        connection.close()
        amqp_probe.publish_event("invoice.issued", {"do": "ok"})
        amqp_probe.publish_event("invoice.issued", {"do": "transient", "failures": 1})
        amqp_probe.publish_event("invoice.issued", {"do": "permanent"})
        stats = Worker(settings, recording_processor, idle_seconds=0.2).run(burst=True)
        assert stats.outcomes == {"done": 2, "retry_scheduled": 1, "dead_lettered": 1}
        assert amqp_probe.depth(amqp_probe.names.exact_dead) == 1
        assert amqp_probe.depth(amqp_probe.names.bridge_results) == 2

    def test_the_installation_user_cannot_touch_another_prefix(
        self, installation_user: str
    ) -> None:
        """Another installation's names are refused (403) with a clear message."""
        connection = connect(installation_user)
        with pytest.raises(ConfigError, match="may not declare"):
            topology.declare(connection.channel(), "t" + uuid.uuid4().hex[:8])
        connection.close()

    def test_permissions_command_prints_the_patterns(self, amqp_settings: Settings) -> None:
        """`hfexact topology permissions` prints rabbitmqctl commands for the prefix only."""
        env = {"HFEXACT_AMQP_URL": amqp_settings.amqp_url,
               "HFEXACT_AMQP_PREFIX": amqp_settings.amqp_prefix}
        result = CliRunner().invoke(cli, ["topology", "permissions", "--user", "hf1"], env=env)
        assert result.exit_code == 0
        pattern = f"'^{amqp_settings.amqp_prefix}\\..*$'"
        assert "set_permissions -p hfexact-test hf1" in result.output
        assert result.output.count(pattern) == 3


class TestTls:
    def url(self, vhost: AmqpVhost, front: TlsFront, host: str = "localhost",
            query: str = "") -> str:
        plain = vhost.url()
        return plain.replace("amqp://", "amqps://").replace(
            "@127.0.0.1:5672/", f"@{host}:{front.port}/") + (f"?{query}" if query else "")

    def test_amqps_with_the_ca_verifies_and_works(
        self, amqp_vhost: AmqpVhost, amqp_settings: Settings, amqp_probe: AmqpProbe,
        tls_files: TlsFiles, tls_front: TlsFront, recording_processor: RecordingProcessor,
    ) -> None:
        """The worker runs over amqps:// trusting the installation's CA file."""
        url = self.url(amqp_vhost, tls_front, query=f"cacertfile={tls_files.ca_cert}")
        settings = dataclasses.replace(amqp_settings, amqp_url=url)
        amqp_probe.declare(amqp_settings)
        amqp_probe.publish_event("invoice.issued", {"do": "ok"})
        stats = Worker(settings, recording_processor, idle_seconds=0.2).run(burst=True)
        assert stats.outcomes == {"done": 1}
        assert stats.reconnects == 0
        assert tls_front.handshake_failures == 0

    def test_untrusted_certificate_is_refused(
        self, amqp_vhost: AmqpVhost, tls_front: TlsFront
    ) -> None:
        """Without the CA the broker's certificate is not trusted: a ConfigError, no retry."""
        with pytest.raises(ConfigError, match="not trusted"):
            connect(self.url(amqp_vhost, tls_front))

    def test_host_name_must_match(
        self, amqp_vhost: AmqpVhost, tls_files: TlsFiles, tls_front: TlsFront
    ) -> None:
        """A certificate for another host name is refused even from a trusted CA."""
        url = self.url(amqp_vhost, tls_front,
                       query=f"cacertfile={tls_files.ca_cert}&server_name_indication=other.test")
        with pytest.raises(ConfigError, match="does not match"):
            connect(url)

    def test_verification_cannot_be_switched_off(self, amqp_vhost: AmqpVhost) -> None:
        """verify=verify_none is refused before any connection is made."""
        with pytest.raises(ConfigError, match="cannot be turned off"):
            connection_parameters("amqps://u:p@localhost/v?verify=verify_none")
        with pytest.raises(ConfigError, match="use amqps://"):
            connection_parameters("amqp://u:p@localhost/v?cacertfile=/etc/ca.pem")
