"""In-memory state: divisions with their tables, guarded by one re-entrant lock.

Every request runs its whole read-modify-write under ``SandboxState.lock``: the sandbox is a
test double, and serializing requests keeps every rule simple and every answer consistent.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
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


#: fields that never change once a record is stored (an entry's journal, a line's entry, a
#: ledger term's entry): ``Table.find`` looks them up in a hash index instead of scanning
INDEXED = frozenset({"EntryID", "TransactionEntryID", "Journal", "JournalCode"})


class Table:
    """Records of one entity set in insertion order, keyed by their primary key.

    ``find`` on a field of ``INDEXED`` uses an index built on first use and kept on insert and
    delete, so a POST costs the same with 10 or 100,000 records stored (Exact's own cost does
    not grow with the administration either); other fields are scanned.
    """

    def __init__(self, key: str, seq: Iterator[int]) -> None:
        self.key = key
        self._seq = seq
        self.rows: dict[Any, Record] = {}
        self.seq: dict[Any, int] = {}
        #: field -> value -> primary keys (insertion-ordered)
        self._indexes: dict[str, dict[Any, dict[Any, None]]] = {}
        #: keys in the order they were first inserted (for incremental aggregates)
        self.order: list[Any] = []
        #: bumped when a record is deleted or changed in place (``touch``): aggregates kept
        #: beside the table (``memo``) then start over; inserts alone only extend ``order``
        self.generation = 0
        self.memo: dict[Any, Any] = {}

    def insert(self, record: Record) -> Record:
        key = record[self.key]
        old = self.rows.get(key)
        if old is not None:
            self._unindex(key, old)
        if old is not None:
            self.generation += 1
        self.rows[key] = record
        if key not in self.seq:
            self.seq[key] = next(self._seq)
            self.order.append(key)
        for name, index in self._indexes.items():
            index.setdefault(record.get(name), {})[key] = None
        return record

    def delete(self, key: Any) -> None:
        old = self.rows.pop(key, None)  # seq stays: a $skiptoken naming a deleted row resumes
        if old is not None:
            self._unindex(key, old)
            self.generation += 1

    def touch(self) -> None:
        """A record was changed in place (not an ``INDEXED`` field): aggregates start over."""
        self.generation += 1

    def get(self, key: Any) -> Record | None:
        return self.rows.get(key)

    def all(self) -> list[Record]:
        return list(self.rows.values())

    def find(self, **match: Any) -> list[Record]:
        indexed = next((name for name in match if name in INDEXED), None)
        if indexed is None:
            candidates: Iterable[Record] = self.rows.values()
        else:
            keys = self._index(indexed).get(match[indexed], {})
            candidates = [self.rows[k] for k in keys]
        return [r for r in candidates if all(r.get(k) == v for k, v in match.items())]

    def _index(self, name: str) -> dict[Any, dict[Any, None]]:
        index = self._indexes.get(name)
        if index is None:
            index = {}
            for key, record in self.rows.items():
                index.setdefault(record.get(name), {})[key] = None
            self._indexes[name] = index
        return index

    def _unindex(self, key: Any, record: Record) -> None:
        for name, index in self._indexes.items():
            keys = index.get(record.get(name))
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del index[record.get(name)]


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
