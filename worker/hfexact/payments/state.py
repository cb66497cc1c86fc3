"""What the poller keeps in the store, under names in the store's cursor table.

| name                                         | value                                        |
|----------------------------------------------|----------------------------------------------|
| ``payments/<division>/timestamp``            | the highest ``Timestamp`` whose results are  |
|                                              | published (the sync cursor)                  |
| ``payments/<installation>/<kind>/<id>``      | one invoice: its payment terms and what was  |
|                                              | reported (JSON)                              |
| ``payments/<installation>/planned``          | invoices waiting for a direct-debit date     |
| ``payments/<division>/calls/<YYYY-MM-DD>``   | Exact calls the poller made that day (UTC)   |

Invoices whose state says nothing (one open piece of the whole amount, nothing reported) are
not written: a first poll over thousands of open invoices stores nothing for them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from hfexact.payments.decide import Reported, Subject
from hfexact.payments.terms import InvoiceTerms


class CursorStore(Protocol):
    """The part of ``hfexact.store.Store`` the poller's state needs."""

    def get_cursor(self, name: str) -> str | None: ...

    def set_cursor(self, name: str, value: str) -> None: ...


def _reported_json(reported: Reported) -> dict[str, Any]:
    return {"status": reported.status, "paid": str(reported.paid),
            "generation": reported.generation,
            "planned_for": None if reported.planned_for is None
            else reported.planned_for.isoformat()}


def _reported_from(raw: dict[str, Any]) -> Reported:
    planned = raw.get("planned_for")
    return Reported(status=raw.get("status", "open"), paid=Decimal(raw.get("paid", "0.00")),
                    generation=int(raw.get("generation", 0)),
                    planned_for=None if planned is None else dt.date.fromisoformat(planned))


@dataclass(frozen=True)
class InvoiceState:
    terms: InvoiceTerms = field(default_factory=InvoiceTerms)
    reported: Reported = field(default_factory=Reported)

    @property
    def trivial(self) -> bool:
        """Nothing worth keeping: nothing reported and at most one open piece, unpaid."""
        if not self.reported.is_default or self.terms.refs or len(self.terms.own) > 1:
            return False
        position = self.terms.position()
        return not self.terms.own or (position.complete and position.paid == 0)

    def dumps(self) -> str:
        return json.dumps({"v": 1, "terms": self.terms.as_json(),
                           "reported": _reported_json(self.reported)}, sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> InvoiceState:
        raw = json.loads(text)
        return cls(InvoiceTerms.from_json(raw.get("terms") or {}),
                   _reported_from(raw.get("reported") or {}))


def state_name(installation: str, binding_kind: str, hostfact_id: str) -> str:
    return f"payments/{installation}/{binding_kind}/{hostfact_id}"


class PaymentState:
    """The poller's state in the store (every write is committed when it returns)."""

    def __init__(self, store: CursorStore) -> None:
        self._store = store

    # -- the sync cursor per division ------------------------------------------------------
    def cursor(self, division: int) -> int | None:
        value = self._store.get_cursor(f"payments/{division}/timestamp")
        return None if value is None else int(value)

    def save_cursor(self, division: int, timestamp: int) -> None:
        self._store.set_cursor(f"payments/{division}/timestamp", str(timestamp))

    # -- one invoice -------------------------------------------------------------------------
    def load(self, subject: Subject) -> InvoiceState | None:
        value = self._store.get_cursor(state_name(subject.installation, subject.binding_kind,
                                                  subject.hostfact_id))
        return None if not value else InvoiceState.loads(value)

    def save(self, subject: Subject, state: InvoiceState) -> None:
        self._store.set_cursor(
            state_name(subject.installation, subject.binding_kind, subject.hostfact_id),
            state.dumps())

    # -- direct-debit payments waiting for their date ------------------------------------------
    def planned(self, installation: str) -> set[tuple[str, str]]:
        value = self._store.get_cursor(f"payments/{installation}/planned")
        return {(k, i) for k, i in json.loads(value)} if value else set()

    def save_planned(self, installation: str, keys: Iterable[tuple[str, str]]) -> None:
        self._store.set_cursor(f"payments/{installation}/planned",
                               json.dumps(sorted([k, i] for k, i in keys)))

    # -- the poller's own use of the daily budget ---------------------------------------------
    def calls_on(self, division: int, day: dt.date) -> int:
        value = self._store.get_cursor(f"payments/{division}/calls/{day.isoformat()}")
        return int(value) if value else 0

    def add_calls(self, division: int, day: dt.date, calls: int) -> None:
        if calls:
            self._store.set_cursor(f"payments/{division}/calls/{day.isoformat()}",
                                   str(self.calls_on(division, day) + calls))
