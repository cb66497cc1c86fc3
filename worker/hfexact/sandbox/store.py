"""In-memory state: divisions with their tables, guarded by one re-entrant lock.

Every request runs its whole read-modify-write under ``SandboxState.lock``: the sandbox is a
test double, and serializing requests keeps every rule simple and every answer consistent.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hfexact.sandbox.clock import SandboxClock
from hfexact.sandbox.options import SandboxOptions

Record = dict[str, Any]

STORED_SETS = (
    "crm/Accounts", "crm/BankAccounts",
    "salesentry/SalesEntries", "salesentry/SalesEntryLines",
    "purchaseentry/PurchaseEntries", "purchaseentry/PurchaseEntryLines",
    "generaljournalentry/GeneralJournalEntries", "generaljournalentry/GeneralJournalEntryLines",
    "financialtransaction/BankEntries", "financialtransaction/BankEntryLines",
    "financial/GLAccounts", "financial/Journals", "vat/VATCodes", "cashflow/PaymentConditions",
)


class Table:
    """Records of one entity set in insertion order, keyed by their primary key."""

    def __init__(self, key: str, seq: Iterator[int]) -> None:
        self.key = key
        self._seq = seq
        self.rows: dict[Any, Record] = {}
        self.seq: dict[Any, int] = {}

    def insert(self, record: Record) -> Record:
        key = record[self.key]
        self.rows[key] = record
        self.seq.setdefault(key, next(self._seq))
        return record

    def delete(self, key: Any) -> None:
        self.rows.pop(key, None)  # seq stays: a $skiptoken naming a deleted row still resumes

    def get(self, key: Any) -> Record | None:
        return self.rows.get(key)

    def all(self) -> list[Record]:
        return list(self.rows.values())

    def find(self, **match: Any) -> list[Record]:
        return [r for r in self.rows.values() if all(r.get(k) == v for k, v in match.items())]


@dataclass
class Division:
    number: int
    seq: Iterator[int]
    tables: dict[str, Table] = field(default_factory=dict)
    terms: Table | None = None
    rowversion: Iterator[int] = field(default_factory=lambda: itertools.count(1001))
    hid: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    customer_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        for path in STORED_SETS:
            key = "EntryID" if path.endswith("Entries") else "ID"
            self.tables[path] = Table(key, self.seq)
        self.terms = Table("ID", self.seq)

    def table(self, path: str) -> Table:
        return self.tables[path]

    @property
    def ledger(self) -> Table:
        assert self.terms is not None
        return self.terms

    def next_timestamp(self) -> int:
        return next(self.rowversion)


@dataclass
class Counters:
    calls: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    token_calls: int = 0
    faults_applied: int = 0
    internal_errors: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"calls": dict(sorted(self.calls.items())), "rate_limited": self.rate_limited,
                "token_calls": self.token_calls, "faults_applied": self.faults_applied,
                "internal_errors": self.internal_errors}


class SandboxState:
    """Everything the sandbox knows; rebuilt from the options by ``reset()``."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.lock = threading.RLock()
        self.clock = SandboxClock()
        self.seq: Iterator[int] = itertools.count(1)
        self.divisions: dict[int, Division] = {}
        self.counters = Counters()
        self.minutely = options.minutely
        self.daily = options.daily
        self.error_budget = options.error_budget
        self.extra: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        from hfexact.sandbox.seed import seed_division  # seed needs the store types

        with self.lock:
            self.clock.set_offset(0.0)
            self.seq = itertools.count(1)
            self.divisions = {}
            for number in self.options.divisions:
                division = Division(number, self.seq)
                seed_division(division, self.clock.utcnow())
                self.divisions[number] = division
            self.counters = Counters()
            self.minutely = self.options.minutely
            self.daily = self.options.daily
            self.error_budget = self.options.error_budget
            self.extra = {}
