"""``hfexact demo`` is the product's end-to-end test: it must pass, twice, and say the truth.

Real RabbitMQ, real PHP (the HostFact stand-in and the bridge's bin/ scripts), the Exact
sandbox over HTTP, a real SQLite store. Nothing is mocked.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pika.exceptions
import pytest
from click.testing import CliRunner

from hfexact.amqp.connection import connect
from hfexact.cli import cli
from hfexact.demo import DemoOutcome, run_demo
from hfexact.demo_exact import DIVISION
from hfexact.demo_world import DemoConfig, DemoWorld
from tests.e2e.support import base_settings

pytestmark = [pytest.mark.integration, pytest.mark.php, pytest.mark.timeout(120)]


def _division(outcome: DemoOutcome) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = outcome.sandbox["divisions"][str(DIVISION)]
    return tables


@pytest.fixture(scope="module", name="demo")
def demo_fixture() -> tuple[DemoOutcome, DemoWorld]:
    """One full demo run through the Python API (the CLI run below is the second)."""
    world = DemoWorld(base_settings(), DemoConfig())
    labels: list[str] = []
    try:
        outcome = run_demo(world, labels.append)
    finally:
        problems = world.close()
    assert problems == []
    assert labels[0] == "checking RabbitMQ and PHP"
    assert len(labels) >= 10
    return outcome, world


def test_every_record_is_exported_exactly_once(demo: tuple[DemoOutcome, DemoWorld]) -> None:
    outcome, _world = demo
    made, division = outcome.made, _division(outcome)
    assert len(made["debtors"]) == 12
    assert len(made["invoices"]) == 50
    assert outcome.counts.records == 12 + 2 + 51 + 2 + 1
    assert outcome.counts.exported == outcome.counts.records
    assert outcome.counts.dead_letters == 0
    # accounts: one per debtor and creditor, with the code the masks give
    codes = Counter(a["Code"].strip() for a in division["crm/Accounts"])
    assert codes == Counter({f"{1000 + n}": 1 for n in range(1, 13)}
                            | {f"{2000 + n}": 1 for n in range(1, 3)})
    # one sales entry per invoice (the credit invoice included), found by YourRef
    refs = Counter(e["YourRef"] for e in division["salesentry/SalesEntries"])
    assert refs == Counter(dict.fromkeys(made["invoices"] + [made["credit_invoice"]], 1))
    assert len(division["purchaseentry/PurchaseEntries"]) == 2
    # the SDD batch, and the accountant's matching of the credit note with its invoice
    assert len(division["generaljournalentry/GeneralJournalEntries"]) == 2
    # the table's Exact column is what Exact holds
    numbers = {e["YourRef"]: str(e["EntryNumber"]) for e in division["salesentry/SalesEntries"]}
    for row in outcome.rows:
        if row.kind == "invoice":
            assert row.exact == numbers[row.hostfact_code]
    # the worker did each event once: settings, 12 debtors, 2 creditors, 51 invoices,
    # 2 purchase invoices, 1 batch
    assert outcome.facts["worker"] == {"done": 69}


def test_payments_reach_hostfact_with_status_amount_and_date(
        demo: tuple[DemoOutcome, DemoWorld]) -> None:
    outcome, _world = demo
    invoices = {i["InvoiceCode"]: i for i in outcome.hostfact["invoices"]}
    purchases = {p["CreditInvoiceCode"]: p for p in outcome.hostfact["purchase_invoices"]}
    hows = Counter(p.how for p in outcome.payments)
    assert hows == Counter({"full": 31, "partial": 1, "overpaid": 1})
    for payment in outcome.payments:
        record = invoices[payment.code] if payment.kind == "sales" else purchases[payment.code]
        paid_status = "4" if payment.kind == "sales" else "3"
        if payment.how == "partial":
            assert (record["Status"], record["AmountPaid"]) == ("3", payment.amount)
        else:  # full, and overpaid: HostFact is paid in full, the excess stays in Exact
            assert record["Status"] == paid_status, payment
            assert record["AmountPaid"] == record["AmountIncl"]
            assert record["PayDate"] == payment.date
    if "overpaid" in hows:
        over = next(p for p in outcome.payments if p.how == "overpaid")
        assert Decimal(over.amount) > Decimal(invoices[over.code]["AmountIncl"])
    # the direct-debit batch pays its invoices on the batch date, without a bank payment
    batch = outcome.hostfact["sdd_batches"][0]
    assert len(outcome.made["sdd_invoices"]) == 4
    for code in outcome.made["sdd_invoices"]:
        invoice = invoices[code]
        assert (invoice["Status"], invoice["PayDate"]) == ("4", batch["Date"])
        assert invoice["SDDBatchID"] == batch["BatchID"]
    # credited and credit invoice are not payments; what was not paid stays open
    assert invoices[outcome.made["credited_invoice"]]["Status"] == "9"
    assert invoices[outcome.made["credit_invoice"]]["Status"] == "8"
    paid_codes = {p.code for p in outcome.payments} | set(outcome.made["sdd_invoices"])
    still_open = [c for c, i in invoices.items() if i["Status"] == "2"]
    assert still_open
    assert not set(still_open) & paid_codes
    assert all(invoices[c]["AmountPaid"] == "0.00" for c in still_open)
    assert outcome.counts.paid == 31 + 1 + 4  # full (30 sales + 1 purchase), overpaid, batch
    assert outcome.counts.part_paid == 1


def test_results_applied_once_and_nothing_echoed_back(
        demo: tuple[DemoOutcome, DemoWorld]) -> None:
    outcome, _world = demo
    results = {(r["type"], r["status"]): int(r["n"]) for r in outcome.hostfact["results"]}
    paid = len(outcome.payments) + len(outcome.made["sdd_invoices"])
    assert results == {("export.succeeded", "stored"): 68, ("settings.validated", "stored"): 1,
                       ("payment.matched", "applied"): paid - 1,
                       ("payment.partial", "applied"): 1}
    # every outbox row went out once; markaspaid's own hooks were not recorded as changes
    outbox = {(r["event_type"], r["status"]): int(r["n"]) for r in outcome.hostfact["outbox"]}
    assert all(status == "sent" for _type, status in outbox)
    assert "invoice.changed" not in {t for t, _s in outbox}
    # the credit note settling its invoice is no payment; HostFact and Exact agree afterwards
    assert outcome.facts["poll"]["results"] == paid
    assert outcome.facts["reconcile"]["compared"] >= 50
    assert outcome.differences == []


def test_cleaned_up(demo: tuple[DemoOutcome, DemoWorld]) -> None:
    _outcome, world = demo
    assert not Path(world.directory).exists()
    connection = connect(world.base.amqp_url)
    try:
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as err:
            connection.channel().queue_declare(f"{world.prefix}.exact", passive=True)
        assert err.value.reply_code == 404
    finally:
        if connection.is_open:
            connection.close()


def test_the_command_runs_again_and_prints_the_outcome() -> None:
    """The second run, as an operator types it: exit 0, the table and the counts."""
    result = CliRunner().invoke(cli, ["demo"], catch_exceptions=False)
    out = result.output
    assert result.exit_code == 0, out
    for line in ("checking RabbitMQ and PHP", "hfexact worker --burst", "bin/results.php --once",
                 "69 events handled: 69 done", "HostFact: 37 applied, 69 stored",
                 "0 differences", "cleaned up"):
        assert line in out
    assert re.search(r"debtor\s+│ DB0001\s+│ Voorbeeld Hosting B\.V\.\s+│\s+1001 │", out), out
    assert re.search(r"SDD batch\s+│ SDD\d{8}\s+│ 4 invoices", out)
    counts = dict(re.findall(r"│ ([a-zA-Z ]+?)\s+│\s+(\d+) │", out))
    assert counts["HostFact records"] == counts["exported to Exact"] == "68"
    assert counts["dead letters"] == "0"
    assert counts["paid in HostFact"] == "36"
    assert counts["part paid in HostFact"] == "1"
    assert re.search(r"time taken\s+│\s+\d+\.\d s", out)


def test_a_missing_broker_is_named_with_the_way_to_start_it() -> None:
    url = "amqp://guest:guest@127.0.0.1:1/%2F"
    result = CliRunner().invoke(cli, ["demo"], env={"HFEXACT_AMQP_URL": url},
                                catch_exceptions=False)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "RabbitMQ is not reachable" in text
    assert "make services" in text
    assert "cleaned up" in text
