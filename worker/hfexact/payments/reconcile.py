"""``hfexact payments poll --reconcile``: every exported invoice against Exact's open items.

HostFact's own payment retrieval compares the open lists every hour; the poller does not need
to (it reads changes), but an operator may want to see where the two sides disagree. This
reads Exact's open items once per division (``bulk/Cashflow/Receivables``, 1,000 a page, and
``read/financial/PayablesList``) and compares them with what the poller reported for each
exported invoice. It only reports: it publishes nothing, and a missing open item is shown as
"no match seen" rather than taken as paid (the poller needs positive evidence).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hfexact.config import Settings
from hfexact.errors import RateLimited
from hfexact.payments.budget import poll_share
from hfexact.payments.decide import Subject
from hfexact.payments.poller import ClientFor, Poller
from hfexact.payments.source import CountingReader, open_items
from hfexact.payments.state import InvoiceState, PaymentState
from hfexact.payments.subjects import LINE_TYPE, load_subjects
from hfexact.payments.terms import ZERO, cents
from hfexact.store import Store

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class Difference:
    subject: Subject
    hostfact: str  # what HostFact was told
    exact: str  # what Exact shows
    note: str


@dataclass
class ReconcileReport:
    compared: int = 0
    exact_calls: int = 0
    differences: list[Difference] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # division or installation -> why


def _told(state: InvoiceState | None) -> str:
    if state is None or state.reported.status == "open":
        return "open"
    r = state.reported
    if r.status == "partial":
        return f"part paid {r.paid}"
    if r.status == "planned":
        return f"paid on {r.planned_for} (planned)"
    return {"paid": "paid", "credited": "credited"}.get(r.status, r.status)


def compare(subject: Subject, state: InvoiceState | None, exact_open: Decimal) -> str | None:
    """Why the two sides disagree, or None when they agree."""
    status = "open" if state is None else state.reported.status
    position = None if state is None or not state.terms.own else state.terms.position()
    if status in ("paid", "planned") and exact_open > ZERO:
        return "paid in HostFact but still open in Exact"
    if status == "credited":
        return None if exact_open == ZERO else "credited in HostFact but still open in Exact"
    if status in ("open", "partial") and exact_open == ZERO:
        return ("not open in Exact, but no match was seen: run `hfexact payments poll`; if it "
                "stays, the entry may be deleted or settled outside the receivables")
    if position is not None and position.complete and status in ("open", "partial"):
        expected = cents(position.total - state.reported.paid) if state else position.total
        if expected != exact_open:
            return f"open amount differs: HostFact was told {expected} is open"
    return None


def reconcile(settings: Settings, store: Store, client_for: ClientFor, *,
              progress: Progress | None = None, clock: Callable[[], float] = time.time,
              sleep: Callable[[float], None] = time.sleep) -> ReconcileReport:
    """Compare every exported invoice of every polled installation with Exact's open items.

    Exact is read within the poller's share of the rate budget; when the share is used, the
    read waits for the next window (reported through ``progress``) and goes on.
    """
    poller = Poller(settings, store, client_for, sink=_NoSink(), clock=clock)
    by_division, left_out = poller.targets()
    report = ReconcileReport(skipped=dict(left_out))
    state = PaymentState(store)
    for division, installations in sorted(by_division.items()):
        subjects = [s for i in installations for s in load_subjects(store, i, division)]
        pages = _PoliteReader(settings, store, client_for, division, clock, sleep, progress)
        items = open_items(pages.get_page, purchases=True)
        report.exact_calls += pages.calls
        open_by_number: dict[tuple[int, int], Decimal] = {}
        for line_type, number, amount in items:
            value = cents(Decimal(str(amount or 0)))
            if value > ZERO:  # a negative open item is a payment on account, not a claim
                key = (line_type, number)
                open_by_number[key] = open_by_number.get(key, ZERO) + value
        report.differences += _compare_all(subjects, state, open_by_number, report, progress,
                                           division)
    return report


class _PoliteReader:
    """Pages within the poller's budget share; waits for the window when it is used up."""

    def __init__(self, settings: Settings, store: Store, client_for: ClientFor, division: int,
                 clock: Callable[[], float], sleep: Callable[[float], None],
                 progress: Progress | None, max_waits: int = 1000) -> None:
        self.settings, self.store, self.client_for = settings, store, client_for
        self.division, self.clock, self.sleep, self.progress = division, clock, sleep, progress
        self.max_waits = max_waits
        self.calls = 0
        self.pages = 0

    def get_page(self, path: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        for _ in range(self.max_waits):
            now = self.clock()
            share = poll_share(self.store.get_budget(self.division),
                               self.settings.payments_budget_share, now, calls_today=0)
            if share.wait_until is None:
                reader = CountingReader(self.client_for(share.keep_minute))
                try:
                    rows = reader.get(self.division, path, params)
                except RateLimited as exc:
                    self.calls += reader.calls
                    self._wait(exc.retry_at, "the poller's share of the rate budget is used")
                    continue
                self.calls += reader.calls
                self.pages += 1
                if self.progress:
                    self.progress(f"division {self.division}: {path}", self.pages, 0)
                return rows
            self._wait(share.wait_until, share.reason)
        raise RateLimited(f"no room in the rate budget of division {self.division}",
                          retry_at=self.clock() + 60, division=self.division)

    def _wait(self, until: float, why: str) -> None:
        seconds = max(until - self.clock(), 0.0)
        if self.progress:
            self.progress(f"division {self.division}: waiting {round(seconds)} s ({why})", 0, 0)
        self.sleep(seconds)


def _compare_all(subjects: Iterable[Subject], state: PaymentState,
                 open_by_number: dict[tuple[int, int], Decimal], report: ReconcileReport,
                 progress: Progress | None, division: int) -> list[Difference]:
    found: list[Difference] = []
    todo = [s for s in subjects if not s.credit_note and s.entry_number is not None]
    for done, subject in enumerate(todo, start=1):
        held = state.load(subject)
        assert subject.entry_number is not None
        exact_open = open_by_number.get((LINE_TYPE[subject.kind], subject.entry_number), ZERO)
        note = compare(subject, held, exact_open)
        report.compared += 1
        if note is not None:
            found.append(Difference(subject, _told(held),
                                    f"{exact_open} open" if exact_open else "not open", note))
        if progress and (done % 100 == 0 or done == len(todo)):
            progress(f"division {division}: invoices compared", done, len(todo))
    return found


class _NoSink:
    def publish(self, results: object) -> None:  # pragma: no cover - never called
        raise AssertionError("reconciliation publishes nothing")

