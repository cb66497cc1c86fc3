"""``hfexact payments poll``: Exact's payment state -> payment results, incrementally, exactly once.

Per division (each installation maps to one; several may share it), one poll:

1. check the poller's share of the division's rate budget (``budget``); no room -> skip the
   division until the window resets (other divisions still poll);
2. read the terms changed since the stored cursor (``sync/Cashflow/PaymentTerms``, one call per
   1,000 changed terms) and apply them to the watched invoices' stored terms;
3. for invoices whose pieces are not all known, read their present terms from
   ``cashflow/Receivables`` (a few invoice numbers per call);
4. decide per invoice (``decide``), publish the results with publisher confirms, then save
   each invoice's state, then the cursor. A crash anywhere before the cursor is saved makes
   the next poll read the same terms again and publish the same results under the same ids
   (the consumer applies each id once); nothing is ever skipped.

Direct-debit payments planned for a batch date still ahead are published on that day without
calling Exact.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hfexact.config import Settings
from hfexact.errors import ConfigError, PermanentError, RateLimited, TransientError
from hfexact.logs import get_logger
from hfexact.payments.budget import Share, pace, poll_share
from hfexact.payments.decide import Subject, decide
from hfexact.payments.publish import ResultSink
from hfexact.payments.results import result_message
from hfexact.payments.source import SYNC_PAGE, CountingReader, ExactReader
from hfexact.payments.state import InvoiceState, PaymentState
from hfexact.payments.subjects import SubjectIndex, load_subjects
from hfexact.payments.terms import TermRow
from hfexact.processing_types import ResultMessage
from hfexact.store import Store

#: ``client_for(keep_minute)``: an Exact client that leaves ``keep_minute`` calls of every
#: minute to the exports (``ExactClient(..., keep_minute=...)``)
ClientFor = Callable[[int], ExactReader]
Key = tuple[str, str, str]  # installation, binding kind, HostFact id


def key_of(subject: Subject) -> Key:
    return subject.installation, subject.binding_kind, subject.hostfact_id


@dataclass
class DivisionReport:
    """What one poll of one division did."""

    division: int
    installations: tuple[str, ...]
    cursor_before: int | None = None
    cursor_after: int | None = None
    pages: int = 0
    rows: int = 0
    exact_calls: int = 0
    results: Counter[str] = field(default_factory=Counter)
    skipped: str = ""
    wait_until: float | None = None
    error: str = ""
    share: Share | None = None


@dataclass
class PollReport:
    divisions: list[DivisionReport] = field(default_factory=list)
    not_polled: dict[str, str] = field(default_factory=dict)  # installation -> why

    @property
    def results(self) -> int:
        return sum(sum(d.results.values()) for d in self.divisions)

    @property
    def exact_calls(self) -> int:
        return sum(d.exact_calls for d in self.divisions)

    @property
    def errors(self) -> list[str]:
        return [f"division {d.division}: {d.error}" for d in self.divisions if d.error]


def installations_of(settings: Settings) -> list[str]:
    names = set(settings.divisions)
    if settings.exact_division is not None:
        names.add(settings.installation)
    return sorted(names)


def payments_enabled(store: Store, installation: str) -> str | None:
    """None when payments are switched on for the installation, else why not."""
    stored = store.load_settings(installation)
    if stored is None:
        return "no export settings received from HostFact yet"
    enabled = stored.data.get("enabled")
    if not isinstance(enabled, dict) or enabled.get("payments") is not True:
        return "payment retrieval is switched off in the export settings"
    return None


@dataclass
class _Work:
    subject: Subject
    before: InvoiceState | None
    state: InvoiceState


class Poller:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        client_for: ClientFor,
        sink: ResultSink,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.client_for = client_for
        self.sink = sink
        self.clock = clock
        self.state = PaymentState(store)
        self.log = get_logger("hfexact.payments")

    # -- what to poll ------------------------------------------------------------------------
    def targets(self) -> tuple[dict[int, list[str]], dict[str, str]]:
        """Division -> installations with payments on; installation -> why it is left out."""
        by_division: dict[int, list[str]] = {}
        left_out: dict[str, str] = {}
        for installation in installations_of(self.settings):
            why = payments_enabled(self.store, installation)
            if why is not None:
                left_out[installation] = why
                continue
            try:
                division = self.settings.division_for(installation)
            except ConfigError as exc:
                left_out[installation] = exc.problems[0]
                continue
            by_division.setdefault(division, []).append(installation)
        return by_division, left_out

    def poll(self) -> PollReport:
        by_division, left_out = self.targets()
        report = PollReport(not_polled=left_out)
        for division, installations in sorted(by_division.items()):
            report.divisions.append(self.poll_division(division, installations))
        return report

    # -- one division ------------------------------------------------------------------------
    def poll_division(self, division: int, installations: Iterable[str]) -> DivisionReport:
        names = tuple(installations)
        report = DivisionReport(division, names)
        subjects = [s for i in names for s in load_subjects(self.store, i, division)]
        index = SubjectIndex(subjects)
        now = self.clock()
        today = dt.datetime.fromtimestamp(now, dt.UTC).date()
        share = poll_share(self.store.get_budget(division), self.settings.payments_budget_share,
                           now, calls_today=self.state.calls_on(division, today))
        report.share = share
        cursor = self.state.cursor(division)
        report.cursor_before = report.cursor_after = cursor
        if share.wait_until is not None:
            report.skipped, report.wait_until = share.reason, share.wait_until
        else:
            reader = CountingReader(self.client_for(share.keep_minute))
            try:
                self._read(division, index, reader, share, report)
            except RateLimited as exc:
                report.skipped = "the poller's share of the rate budget is used for now"
                report.wait_until = exc.retry_at
            except TransientError as exc:
                report.error = str(exc)
            except PermanentError as exc:  # Exact refused (rights, scope) or a result we built
                report.error = str(exc)      # is invalid: stop this division, save nothing
                self.log.error("payments.division_failed", division=division,
                               error_kind=exc.kind, error=str(exc))
            finally:
                report.exact_calls = reader.calls
                self.state.add_calls(division, today, reader.calls)
        self._due_planned(index, names, report)
        self.log.info("payments.polled", division=division, pages=report.pages,
                      rows=report.rows, exact_calls=report.exact_calls,
                      results=dict(report.results), cursor=report.cursor_after,
                      skipped=report.skipped or None, error=report.error or None)
        return report

    def _read(self, division: int, index: SubjectIndex, reader: CountingReader, share: Share,
              report: DivisionReport) -> None:
        cursor = report.cursor_before or 0
        while reader.calls < share.day_left:
            rows = reader.sync_page(division, cursor)
            report.pages += 1
            report.rows += len(rows)
            self._settle(division, index, rows, reader, report)
            if rows:
                cursor = max(cursor, max(r.timestamp for r in rows))
                self.state.save_cursor(division, cursor)  # after the results are confirmed
                report.cursor_after = cursor
            if len(rows) < SYNC_PAGE:
                return

    # -- apply, decide, publish, save ----------------------------------------------------------
    def _settle(self, division: int, index: SubjectIndex, rows: list[TermRow],
                reader: CountingReader | None, report: DivisionReport,
                extra: Iterable[Subject] = ()) -> None:
        work: dict[Key, _Work] = {}

        def item(subject: Subject) -> _Work:
            key = key_of(subject)
            if key not in work:
                before = self.state.load(subject)
                work[key] = _Work(subject, before, before or InvoiceState())
            return work[key]

        for row in rows:
            found = index.find(row)
            if found is not None:
                subject, own = found
                w = item(subject)
                w.state = InvoiceState(w.state.terms.apply(row, own=own), w.state.reported)
        for subject in extra:
            item(subject)
        if reader is not None:
            self._complete(division, index, work, reader)
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        results: list[ResultMessage] = []
        for w in work.values():
            decision = decide(w.subject, w.state.terms.position(), w.state.reported,
                              today=now.date())
            results += [result_message(w.subject, p, now) for p in decision.payments]
            w.state = InvoiceState(w.state.terms, decision.reported)
        self.sink.publish(results)  # confirmed, or raises: nothing below happens then
        for result in results:
            report.results[result.type] += 1
            self.log.info("payments.result_published", type=result.type,
                          message_id=result.message_id,
                          invoice_code=result.body["data"]["invoice_code"])
        self._save(work.values())

    def _complete(self, division: int, index: SubjectIndex, work: dict[Key, _Work],
                  reader: CountingReader) -> None:
        """Read the present terms of sales invoices whose pieces are not all known."""
        missing = {w.subject.entry_number: w for w in work.values()
                   if w.subject.kind == "sales" and w.subject.entry_number is not None
                   and not w.subject.credit_note and not w.state.terms.position().complete}
        if not missing:
            return
        for row in reader.receivables_of(division, sorted(n for n in missing if n is not None)):
            found = index.find(row)
            if found is None or key_of(found[0]) not in work:
                continue
            w = work[key_of(found[0])]
            w.state = InvoiceState(w.state.terms.apply(row, own=found[1], force=True),
                                   w.state.reported)

    def _save(self, work: Iterable[_Work]) -> None:
        planned_changes: dict[str, dict[tuple[str, str], bool]] = {}
        for w in work:
            if w.state == w.before or (w.before is None and w.state.trivial):
                continue
            self.state.save(w.subject, w.state)
            was = w.before is not None and w.before.reported.status == "planned"
            now = w.state.reported.status == "planned"
            if was != now:
                planned_changes.setdefault(w.subject.installation, {})[
                    (w.subject.binding_kind, w.subject.hostfact_id)] = now
        for installation, changes in planned_changes.items():
            keys = self.state.planned(installation)
            keys |= {k for k, on in changes.items() if on}
            keys -= {k for k, on in changes.items() if not on}
            self.state.save_planned(installation, keys)

    def _due_planned(self, index: SubjectIndex, installations: tuple[str, ...],
                     report: DivisionReport) -> None:
        """Publish direct-debit payments whose batch date has come (no Exact call)."""
        by_key = {key_of(s): s for s in index.subjects}
        due: list[Subject] = []
        for installation in installations:
            for kind, hostfact_id in sorted(self.state.planned(installation)):
                subject = by_key.get((installation, kind, hostfact_id))
                if subject is not None:
                    due.append(subject)
        if due:
            self._settle(report.division, index, [], None, report, extra=due)


    def next_poll_in(self, report: PollReport, interval: float) -> float:
        """Seconds until the next ``--watch`` poll: at least ``interval``, spread so the day's
        share lasts until midnight UTC (with the limits Exact reported during this poll)."""
        now = self.clock()
        today = dt.datetime.fromtimestamp(now, dt.UTC).date()
        wait = interval
        for d in report.divisions:
            share = poll_share(self.store.get_budget(d.division),
                               self.settings.payments_budget_share, now,
                               calls_today=self.state.calls_on(d.division, today))
            wait = max(wait, pace(interval, share, now, max(d.exact_calls, 1)))
        return wait


def as_dict(report: PollReport) -> dict[str, Any]:
    """A JSON-able summary (``--json``)."""
    return {
        "results": report.results, "exact_calls": report.exact_calls,
        "not_polled": report.not_polled,
        "divisions": [{
            "division": d.division, "installations": list(d.installations),
            "cursor_before": d.cursor_before, "cursor_after": d.cursor_after,
            "pages": d.pages, "rows": d.rows, "exact_calls": d.exact_calls,
            "results": dict(d.results), "skipped": d.skipped, "wait_until": d.wait_until,
            "error": d.error,
        } for d in report.divisions],
    }
