"""Scenario 2: RabbitMQ goes away (cleanly, then with ``kill -9``) while HostFact keeps working.

The machine's RabbitMQ is shared, so this scenario boots a private RabbitMQ node
(``private_broker.PrivateBroker``: own node name, ports, data directory; a least-privilege
user and vhost for the installation; a TLS listener with a CA the test made;
``max_message_size``) and runs the whole path on it:

    HostFact stand-in (PHP, SQLite) --hooks--> outbox --bin/relay.php daemon--> private RabbitMQ
        --amqps:// with certificate verification--> hfexact worker --> Exact sandbox

1. the demo company is built in HostFact (settings, debtors, invoices, a credit invoice, an
   SDD batch, creditors and purchase invoices); the relay publishes, the worker books;
2. HostFact users keep sending invoices and editing debtors while RabbitMQ is stopped cleanly,
   then started again on the same data directory;
3. the same while RabbitMQ is killed with SIGKILL, then started again.

End state: every HostFact record once in the sandbox, the outbox fully sent, nothing queued,
nothing dead-lettered, no binding pending. The worker and the relay are never restarted: they
reconnect by themselves.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pika
import pika.exceptions
import pytest

from hfexact.demo_php import PHP_BRIDGE, PhpHostFact
from tests.integration.amqp_fixtures import fresh_prefix, make_tls_files
from tests.reliability import report
from tests.reliability.harness import Proc, Rig, outcomes_in_logs, wait_until
from tests.reliability.private_broker import MAX_MESSAGE_SIZE, PrivateBroker
from tests.reliability.workload import DIV, MAIN, Expected, Workload

ACTIVITY = Path(__file__).with_name("hostfact_activity.php")


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One private node for this module (booting one takes ~7 s); the installation's prefix
    is the one its user may use."""
    node = PrivateBroker(tmp_path_factory.mktemp("rabbit"), fresh_prefix())
    node.start(timeout=30)  # a node that cannot start here in 30 s fails the scenario
    yield node
    node.close()


def hostfact_expected(data: dict[str, Any]) -> Workload:
    """What Exact must hold for the HostFact records of ``demo-company.php report``."""
    work = Workload(seed=0)
    for d in data["debtors"]:
        work.expected[(MAIN, "debtor", str(d["Identifier"]))] = Expected(
            MAIN, "debtor", str(d["Identifier"]), str(d["DebtorCode"]), DIV, name=str(d["Name"]))
    for c in data["creditors"]:
        work.expected[(MAIN, "creditor", str(c["Identifier"]))] = Expected(
            MAIN, "creditor", str(c["Identifier"]), str(c["CreditorCode"]), DIV,
            name=str(c["Name"]))
    for i in data["invoices"]:
        if str(i["Status"]) in ("2", "3", "4", "8", "9"):
            work.expected[(MAIN, "invoice", str(i["Identifier"]))] = Expected(
                MAIN, "invoice", str(i["Identifier"]), str(i["InvoiceCode"]), DIV,
                ref=str(i["InvoiceCode"]))
    for p in data["purchase_invoices"]:
        if str(p["Status"]) not in ("0", "9"):
            ref = str(p.get("InvoiceCode") or p["CreditInvoiceCode"]).strip()
            work.expected[(MAIN, "purchase_invoice", str(p["Identifier"]))] = Expected(
                MAIN, "purchase_invoice", str(p["Identifier"]), str(p["CreditInvoiceCode"]),
                DIV, ref=ref)
    for b in data["sdd_batches"]:
        if str(b["Status"]) == "downloaded":
            work.expected[(MAIN, "sdd_batch", str(b["BatchID"]))] = Expected(
                MAIN, "sdd_batch", str(b["BatchID"]), str(b["BatchID"]), DIV,
                ref=str(b["BatchID"]))
    return work


def outbox(hostfact: PhpHostFact) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in hostfact.report()["outbox"]:
        counts[str(row["status"])] = counts.get(str(row["status"]), 0) + int(row["n"])
    return counts


def php(rig: Rig, hostfact: PhpHostFact, script: Path, *args: str, name: str,
        **env: str) -> Proc:
    log = rig.log_dir / f"{len(rig.procs):03d}-{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(
        ["php", str(script), *args], stdout=handle, stderr=subprocess.STDOUT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
             **hostfact.env, **env},
        start_new_session=True)
    handle.close()
    proc = Proc(name, popen, log)
    rig.procs.append(proc)
    return proc


def test_broker_stopped_and_killed_while_hostfact_works(  # type: ignore[no-untyped-def]
        make_rig, broker: PrivateBroker, tmp_path: Path) -> None:
    rig = make_rig(store="postgresql", prefix=broker.prefix, amqp_url=broker.tls_url(),
                   admin_url=broker.url())
    hostfact = PhpHostFact(tmp_path / "hf", amqp_url=broker.url(), prefix=broker.prefix,
                           installation=MAIN)
    hostfact.install()
    built = hostfact.build_company(invoices=40)
    assert built
    relay = php(rig, hostfact, PHP_BRIDGE / "bin" / "relay.php", name="relay",
                HFEXACT_POLL_SECONDS="0.2")
    worker = rig.start_worker(name="tls-worker")  # amqps:// with the test CA, verified

    def entries() -> int:
        return len(rig.sandbox.state()["divisions"][str(DIV)]["salesentry/SalesEntries"])

    wait_until(lambda: entries() >= 15, 90, what="the worker books over TLS")

    # 1. a clean stop while HostFact keeps committing
    first = php(rig, hostfact, ACTIVITY, "--invoices=30", "--sleep-ms=60", name="users-1")
    time.sleep(0.3)
    broker.stop()
    assert first.wait(120) == 0, first.text()[-2000:]
    # the users go on once the broker is surely down (on a slow machine the clean stop can
    # outlast the first batch): these commits cannot have been relayed
    down = php(rig, hostfact, ACTIVITY, "--invoices=5", "--sleep-ms=20", name="users-down")
    assert down.wait(120) == 0, down.text()[-2000:]
    waiting = outbox(hostfact).get("pending", 0)
    assert waiting > 0, "HostFact committed while the broker was down; the rows wait"
    broker.start()
    wait_until(lambda: outbox(hostfact).get("pending", 0) == 0, 90, step=0.5,
               what="the relay caught up after the clean restart")

    # 2. kill -9 while the relay publishes and the worker consumes
    second = php(rig, hostfact, ACTIVITY, "--invoices=25", "--sleep-ms=30", name="users-2")
    time.sleep(0.6)
    broker.kill9()
    assert second.wait(120) == 0, second.text()[-2000:]
    broker.start()

    def complete() -> bool:
        if outbox(hostfact).get("pending", 0) or not rig.drained():
            return False
        verdict = rig.verify(hostfact_expected(hostfact.report()))
        return verdict.exported_once == verdict.expected

    wait_until(complete, 150, step=1.0, what="everything booked after the kill -9")
    assert worker.alive, "the worker reconnected by itself"
    assert relay.alive, "the relay reconnected by itself"
    assert worker.term(30) == 0
    relay.term(30)

    final = hostfact.report()
    work = hostfact_expected(final)
    counts = outbox(hostfact)
    verdict = rig.verify(work)
    outcomes = outcomes_in_logs([worker])
    reconnects = sum(1 for line in worker.text().splitlines() if "worker.connection_lost" in line)
    report.record("2 RabbitMQ stop + kill -9", **{**verdict.counts(),
                  "events": sum(counts.values())}, faults=2, broker_restarts=broker.starts - 1,
                  rows_waited_outage=waiting, worker_reconnects=reconnects,
                  duplicate_deliveries=outcomes["duplicate"], transport="amqps")
    verdict.assert_exactly_once()
    assert verdict.dead_lettered == 0
    assert verdict.exported_once == len(work.expected) > 60
    assert set(counts) <= {"sent", "skipped"}, counts
    assert reconnects >= 2


def test_amqps_verifies_the_broker_certificate(make_rig, broker: PrivateBroker,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    """A CA that did not sign the broker's certificate, or the wrong host name: the worker
    refuses to connect (configuration error, exit 2); the right CA and name: it works."""
    rig = make_rig(store="sqlite", prefix=broker.prefix, amqp_url=broker.tls_url(),
                   admin_url=broker.url())
    (tmp_path / "other-ca").mkdir()
    stranger = make_tls_files(tmp_path / "other-ca")
    wrong_ca = rig.start_worker("--burst", name="wrong-ca",
                                HFEXACT_AMQP_URL=broker.tls_url(stranger.ca_cert))
    wrong_name = rig.start_worker("--burst", name="wrong-name",
                                  HFEXACT_AMQP_URL=broker.tls_url(host="127.0.0.2"))
    right = rig.start_worker("--burst", name="right-ca")
    assert wrong_ca.wait(60) == 2, wrong_ca.text()[-1500:]
    assert "not trusted" in wrong_ca.text()
    assert wrong_name.wait(60) == 2, wrong_name.text()[-1500:]
    assert right.wait(60) == 0, right.text()[-1500:]
    assert "worker.started" in right.text()


def test_broker_refuses_bodies_over_max_message_size(broker: PrivateBroker) -> None:
    """``max_message_size``: the broker itself refuses a body larger than configured."""
    connection = pika.BlockingConnection(pika.URLParameters(broker.url()))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        name = f"{broker.prefix}.size-probe"  # the installation's user may use only these
        channel.exchange_declare(name, exchange_type="fanout", durable=True)
        channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum"})
        channel.queue_bind(name, name)
        channel.basic_publish(name, "", b"x" * 1024)
        with pytest.raises(pika.exceptions.AMQPError, match=r"max size|larger than"):
            channel.basic_publish(name, "", b"x" * (MAX_MESSAGE_SIZE + 1))
    finally:
        if connection.is_open:
            connection.close()
