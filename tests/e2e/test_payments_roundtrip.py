"""Issue 6, done when: HostFact stand-in -> relay -> RabbitMQ -> worker -> Exact sandbox, then bank
payments in the sandbox (full, partial, overpaid, a direct-debit batch, an unmatch; here also a
storno), the poller and ``bin/results.php`` leave every HostFact invoice with the right status,
amount paid and pay date; running the poller and the consumer twice changes nothing; a crash after
publishing and before the cursor is saved pays nothing twice.

The real parts throughout: RabbitMQ, PHP (stand-in and bridge scripts), the sandbox over HTTP,
a SQLite store; the "crash" is a result sink that publishes with confirms and then dies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest

from hfexact.demo_exact import DIVISION
from hfexact.demo_php import PhpHostFact
from hfexact.demo_world import DemoConfig, DemoWorld
from hfexact.payments.publish import ResultSink
from hfexact.payments.state import PaymentState
from hfexact.processing_types import ResultMessage
from tests.e2e.support import base_settings

pytestmark = [pytest.mark.integration, pytest.mark.php, pytest.mark.timeout(120)]

TODAY = dt.datetime.now(dt.UTC).date()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


class Crash(BaseException):
    """The process dying, not an error anyone handles."""


class CrashAfterPublish:
    """Publishes for real (confirmed by the broker), then the poller 'dies'."""

    def __init__(self, inner: ResultSink) -> None:
        self.inner = inner
        self.published: list[ResultMessage] = []

    def publish(self, results: Sequence[ResultMessage]) -> None:
        self.inner.publish(results)
        self.published += results
        if results:
            raise Crash("killed after publishing, before saving the cursor")


class Story:
    """The world after the company was exported, with helpers to pay and look."""

    def __init__(self, world: DemoWorld, made: dict[str, Any]) -> None:
        self.world = world
        self.made = made
        self.php: PhpHostFact = world.hostfact()
        self.numbers = {b.hostfact_code: int(b.exact_number or 0)
                        for kind in ("invoice", "purchase_invoice")
                        for b in world.bindings(kind)}
        self.totals = {code: Decimal(str(i["AmountIncl"])) for code, i in self.invoices().items()}

    def code(self, n: int) -> str:
        return str(self.made["invoices"][n - 1])

    def invoices(self) -> dict[str, dict[str, Any]]:
        report = self.php.report()
        out = {str(i["InvoiceCode"]): i for i in report["invoices"]}
        out.update({str(p["CreditInvoiceCode"]): p for p in report["purchase_invoices"]})
        return out

    def total(self, code: str) -> Decimal:
        return self.totals[code]

    def pay(self, code: str, amount: Decimal | str, date: str) -> None:
        self.world.exact.bank_payment(self.numbers[code], f"{Decimal(amount):.2f}", date)

    def poll_and_apply(self) -> tuple[int, dict[str, int]]:
        report = self.world.poll_payments()
        assert report.errors == []
        return report.results, self.world.apply_results()

    def state(self, code: str) -> tuple[str, str, str]:
        i = self.invoices()[code]
        return str(i["Status"]), str(i["AmountPaid"]), str(i.get("PayDate") or "")


@pytest.fixture(name="story")
def story_fixture() -> Iterator[Story]:
    world = DemoWorld(base_settings(), DemoConfig(invoices=12))
    try:
        world.start()
        made = world.hostfact().build_company(invoices=12)
        world.hostfact().relay()
        stats = world.work()
        assert dict(stats.outcomes) == {"done": 1 + 12 + 2 + 13 + 2 + 1}
        story = Story(world, made)
        # the exports' own results (export.succeeded, settings.validated) are stored first
        assert story.world.apply_results() == {"stored": 31}
        yield story
    finally:
        assert world.close() == []


def test_payments_roundtrip(story: Story) -> None:
    full, partial, overpaid, unmatched, crashed = (story.code(n) for n in (2, 3, 7, 8, 9))
    batch = [str(c) for c in story.made["sdd_invoices"]]
    credited, credit_note = story.made["credited_invoice"], story.made["credit_invoice"]
    purchase = story.made["purchase_invoices"][0]
    untouched = [story.code(n) for n in (11, 12)]
    batch_date = story.php.report()["sdd_batches"][0]["Date"]

    # -- the bank feed: full, partial, overpaid, one to unmatch later, a supplier paid ----------
    story.pay(full, story.total(full), day(-9))
    part = (story.total(partial) / 4).quantize(Decimal("0.01"))
    story.pay(partial, part, day(-8))
    story.pay(overpaid, story.total(overpaid) + Decimal("15.00"), day(-7))
    story.pay(unmatched, story.total(unmatched), day(-6))
    story.pay(purchase, story.total(purchase), day(-6))
    published, applied = story.poll_and_apply()
    assert published == 4 + 1 + len(batch)  # the batch's invoices are paid on the batch date
    assert applied == {"applied": published}

    assert story.state(full) == ("4", f"{story.total(full):.2f}", day(-9))
    assert story.state(partial)[:2] == ("3", f"{part:.2f}")
    assert story.state(overpaid) == ("4", f"{story.total(overpaid):.2f}", day(-7))
    assert story.state(unmatched) == ("4", f"{story.total(unmatched):.2f}", day(-6))
    assert story.state(purchase) == ("3", f"{story.total(purchase):.2f}", day(-6))
    for code in batch:
        assert story.state(code) == ("4", f"{story.total(code):.2f}", batch_date)
    assert story.state(credited)[0] == "9"
    assert story.state(credit_note)[0] == "8"
    for code in untouched:
        assert story.state(code) == ("2", "0.00", "")

    # -- the poller and the consumer again: nothing changes ------------------------------------
    before = story.invoices()
    results_before = story.php.report()["results"]
    assert story.poll_and_apply() == (0, {})
    assert story.poll_and_apply() == (0, {})
    assert story.invoices() == before
    assert story.php.report()["results"] == results_before

    # -- Exact unmatches one payment; the partly paid invoice gets the rest --------------------
    story.world.exact.unmatch(story.numbers[unmatched])
    story.pay(partial, story.total(partial) - part, day(-3))
    published, applied = story.poll_and_apply()
    assert published == 2
    assert applied == {"applied": 2}
    assert story.state(unmatched) == ("2", "0.00", "")
    assert story.state(partial) == ("4", f"{story.total(partial):.2f}", day(-3))

    # -- killed after publishing, before the cursor is saved: the part payment lands once -----
    store = story.world.store
    assert store is not None
    cursor = PaymentState(store).cursor(DIVISION)
    third = (story.total(crashed) / 3).quantize(Decimal("0.01"))
    story.pay(crashed, third, day(-2))
    with story.world.result_sink() as sink:
        dying = CrashAfterPublish(sink)
        with pytest.raises(Crash):
            story.world.poll_payments(dying)
    assert [m.type for m in dying.published] == ["payment.partial"]
    assert PaymentState(store).cursor(DIVISION) == cursor  # nothing was saved
    report = story.world.poll_payments()  # the restarted poller reads the same terms again
    assert report.results == 1
    assert story.world.apply_results() == {"applied": 1, "duplicate": 1}
    assert story.state(crashed)[:2] == ("3", f"{third:.2f}")
    assert PaymentState(store).cursor(DIVISION) != cursor
    assert story.poll_and_apply() == (0, {})
    assert story.state(crashed)[:2] == ("3", f"{third:.2f}")

    # -- a direct-debit storno: HostFact reopens the invoice, Exact books the reversal -------
    reversed_code = batch[0]
    story.php.reverse(reversed_code)
    assert story.state(reversed_code) == ("2", "0.00", "")
    story.php.relay()
    worked = story.world.work().outcomes  # the reversal only: no echo of the purchase write-back
    assert dict(worked) == {"done": 1}
    published, applied = story.poll_and_apply()
    assert published == 1  # payment.reopened: HostFact is open already
    # besides: the reversal's export.succeeded (stored), maybe an echo's result again (duplicate)
    assert applied["unchanged"] == 1
    assert set(applied) <= {"unchanged", "stored", "duplicate"}
    assert story.state(reversed_code) == ("2", "0.00", "")
    for code in batch[1:]:
        assert story.state(code)[0] == "4"
    journal = story.world.exact.state()["divisions"][str(DIVISION)][
        "generaljournalentry/GeneralJournalEntries"]
    assert len(journal) == 2  # the batch and its reversal
    assert story.poll_and_apply() == (0, {})

    # -- the write-backs are not exported again -----------------------------------------------
    # markaspaid/partpayment fire HostFact's invoice_is_paid/_partly_paid hooks: the bridge
    # recognises its own write-back and records nothing. The purchase invoice has no hook; its
    # new Modified is the stamp results.php left, so the relay's poller skips it.
    story.php.relay()
    outbox = story.php.report()["outbox"]
    assert "invoice.changed" not in {r["event_type"] for r in outbox}
    received = sum(r["n"] for r in outbox if r["event_type"] == "purchase_invoice.received")
    assert received == len(story.made["purchase_invoices"])
    assert {r["status"] for r in outbox} == {"sent"}
    again = story.world.work()
    assert not again.outcomes
    division = story.world.exact.state()["divisions"][str(DIVISION)]
    assert len(division["salesentry/SalesEntries"]) == 13
    assert len(division["purchaseentry/PurchaseEntries"]) == 2
    assert story.world.dead_letters() == 0
