"""A seeded random HostFact workload and what Exact must hold once it has been processed.

``generate(seed, size=...)`` makes the events the PHP relay would publish for a busy month of a
hosting company: debtors (some edited several times), creditors, sales invoices, credit
invoices, purchase invoices and one direct-debit batch, shuffled the way several HostFact
users and the relay's pollers interleave them (an invoice may come before its debtor's own
event: it brings the debtor along). The same seed gives the same bytes, event ids included.

Every body is built with the builders of ``tests/integration/test_processing_samples.py``
(HostFact's field names, decimal strings, HostFact's per-rate totals) and checked against the
contract (``parse_event``) before it is used.

``Workload.expected`` says, per HostFact record, what Exact must hold exactly once afterwards:
the account (by ``SearchCode``) with the *latest* debtor name, the sales or purchase entry (by
``YourRef``), the batch's journal entry (by its lines' description). ``Workload.bad`` lists the
events that must end in the dead-letter queue instead, with a word their reason must contain.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from hfexact.core.accounts import search_code
from tests.integration.test_processing_samples import (
    T0,
    batch_event,
    creditor_data,
    debtor_data,
    envelope,
    hostfact_totals,
    invoice_event,
    purchase_event,
    settings_data,
)

DIV = 123456
DIV2 = 234567
MAIN = "hf-main"
TWO = "hf-two"
INSTALLATIONS: dict[str, int] = {MAIN: DIV, TWO: DIV2}

Kind = Literal["debtor", "creditor", "invoice", "purchase_invoice", "sdd_batch"]

#: (price, quantity, VAT percentage, product code) lines HostFact typically has
LINE_MENU: tuple[tuple[str, str, str, str], ...] = (
    ("12.50", "12", "21", "P0001"),
    ("8.95", "1", "21", "P0002"),
    ("19.99", "2", "9", "P0001"),
    ("75", "1.5", "21", ""),
    ("4.99", "3", "0", "P0002"),
    ("1.07", "1", "21", ""),
)
#: HostFact test IBANs (valid checksums) and e-mail addresses: they must never reach a log line
IBANS = ("NL91ABNA0417164300", "NL20INGB0001234567", "BE68539007547034", "DE89370400440532013000")


@dataclass(frozen=True)
class Event:
    """One message as the relay publishes it."""

    event_id: str
    type: str
    body: bytes
    installation: str
    #: the record it is about (None for settings and bad input)
    record: tuple[str, str, str] | None = None
    content_type: str = "application/json"

    def properties(self) -> dict[str, Any]:
        return {"message_id": self.event_id, "type": self.type,
                "content_type": self.content_type}


@dataclass(frozen=True)
class Expected:
    """What Exact must hold exactly once for one HostFact record."""

    installation: str
    kind: Kind
    hostfact_id: str
    code: str
    division: int
    #: account Name (latest debtor version), else None
    name: str | None = None
    #: sales/purchase entry YourRef, or the batch id for the journal entry
    ref: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.installation, self.kind, self.hostfact_id)


@dataclass
class Workload:
    seed: int
    settings: list[Event] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    expected: dict[tuple[str, str, str], Expected] = field(default_factory=dict)
    #: event id -> a word the dead letter's reason (or error kind) must contain
    bad: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.events)

    def by_id(self) -> dict[str, Event]:
        return {e.event_id: e for e in [*self.settings, *self.events]}

    def installations(self) -> list[str]:
        return sorted({e.installation for e in self.settings})

    def count(self, kind: str) -> int:
        return sum(1 for x in self.expected.values() if x.kind == kind)

    def merge(self, other: Workload, rng: random.Random) -> Workload:
        """Both workloads interleaved (each keeps its own order), as two HostFact
        installations publishing to one broker."""
        merged = Workload(self.seed, [*self.settings, *other.settings], [],
                          {**self.expected, **other.expected}, {**self.bad, **other.bad})
        a, b = list(self.events), list(other.events)
        while a or b:
            source = a if b == [] or (a and rng.random() < len(a) / (len(a) + len(b))) else b
            merged.events.append(source.pop(0))
        return merged


class _Ids:
    """Deterministic uuid4-shaped ids from the workload's random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def settings_event(installation: str, ids: _Ids, **over: Any) -> Event:
    event_id = ids()
    body = envelope("settings.changed", settings_data(**over), installation=installation,
                    event_id=event_id)
    return Event(event_id, "settings.changed", body, installation)


def generate(
    seed: int,
    *,
    size: int = 200,
    installations: Sequence[str] = (MAIN,),
    debtor_versions: int = 3,
    with_batch: bool = True,
    shuffle: bool = True,
    reversed_share: float = 0.0,
) -> Workload:
    """About ``size`` record events (plus one ``settings.changed`` per installation).

    ``reversed_share`` of the debtors have their versions published newest first (as retries
    reorder them): the worker must keep the newest.

    Mix per installation: ~14 % debtor events (1..``debtor_versions`` versions of each debtor),
    ~5 % creditors, ~50 % invoices, ~10 % credit invoices, ~20 % purchase invoices and one
    direct-debit batch collecting a handful of the invoices.
    """
    rng = random.Random(seed)
    ids = _Ids(rng)
    work = Workload(seed)
    per = max(10, size // len(installations))
    for number, installation in enumerate(installations):
        work.settings.append(settings_event(installation, ids))
        work.events += _installation_events(work, rng, ids, installation, per,
                                            offset=number * 100_000,
                                            debtor_versions=debtor_versions,
                                            with_batch=with_batch)
    if shuffle:
        _shuffle_keeping_versions(rng, work.events, reversed_share)
    return work


def _installation_events(
    work: Workload, rng: random.Random, ids: _Ids, installation: str, size: int, *,
    offset: int, debtor_versions: int, with_batch: bool,
) -> list[Event]:
    division = INSTALLATIONS[installation]
    events: list[Event] = []
    n_debtors = max(2, round(size * 0.07))
    n_creditors = max(1, round(size * 0.05))
    n_credits = max(1, round(size * 0.10))
    n_purchases = max(1, round(size * 0.20))
    batch_size = min(5, max(1, size // 40)) if with_batch else 0

    # debtors: HostFact ids offset+1..; each edited a few times (Modified strictly increasing)
    debtor_v1: dict[int, dict[str, Any]] = {}
    for i in range(1, n_debtors + 1):
        hid = offset + i
        versions = rng.randint(1, debtor_versions)
        iban = rng.choice(IBANS)
        for v in range(1, versions + 1):
            modified = (T0 + dt.timedelta(minutes=i, seconds=v)).strftime("%Y-%m-%d %H:%M:%S")
            data = debtor_data(hid, CompanyName=_debtor_name(hid, v), Modified=modified,
                               AccountNumber=iban, AccountBIC="ABNANL2A",
                               AccountName=f"Klant {hid}", DebtorCode=_debtor_code(hid))
            if v == 1:
                debtor_v1[hid] = data
            event_id = ids()
            events.append(Event(
                event_id, "debtor.upserted",
                envelope("debtor.upserted", data, installation=installation,
                         event_id=event_id, occurred_at=T0 + dt.timedelta(minutes=i, seconds=v)),
                installation, (installation, "debtor", str(hid))))
        work.expected[(installation, "debtor", str(hid))] = Expected(
            installation, "debtor", str(hid), _debtor_code(hid), division,
            name=_debtor_name(hid, versions))

    # creditors (one version: the purchase invoices carry the same data)
    creditors = [offset + 500 + i for i in range(1, n_creditors + 1)]
    for hid in creditors:
        event_id = ids()
        data = _creditor(hid)
        events.append(Event(event_id, "creditor.upserted",
                            envelope("creditor.upserted", data, installation=installation,
                                     event_id=event_id),
                            installation, (installation, "creditor", str(hid))))
        work.expected[(installation, "creditor", str(hid))] = Expected(
            installation, "creditor", str(hid), data["CreditorCode"], division,
            name=data["CompanyName"])

    # sales invoices, some paid by direct debit (Authorisation yes), then credit invoices
    n_invoices = max(2, size - len(events) - n_credits - n_purchases - (1 if batch_size else 0))
    invoices: list[tuple[int, int, str, Sequence[tuple[str, str, str, str]]]] = []
    debtor_ids = sorted(debtor_v1)
    for i in range(1, n_invoices + 1):
        hid = offset + 1000 + i
        debtor = rng.choice(debtor_ids)
        lines = rng.sample(LINE_MENU, rng.randint(1, 3))
        direct_debit = i <= batch_size
        body, event_id = _invoice(ids, hid, debtor, lines, debtor_v1[debtor], installation,
                                  Authorisation="yes" if direct_debit else "no")
        total = hostfact_totals(lines)["AmountIncl"]
        invoices.append((hid, debtor, total, lines))
        events.append(Event(event_id, "invoice.issued", body, installation,
                            (installation, "invoice", str(hid))))
        work.expected[(installation, "invoice", str(hid))] = Expected(
            installation, "invoice", str(hid), _invoice_code(hid), division,
            ref=_invoice_code(hid))
    for j in range(1, n_credits + 1):
        hid = offset + 3000 + j
        original, debtor, _total, lines = invoices[(j * 7) % len(invoices)]
        credit_lines = [(f"-{p}", q, t, c) for p, q, t, c in lines]
        credits = {"Identifier": str(original), "InvoiceCode": _invoice_code(original),
                   "Date": "2026-11-28", "AmountIncl": hostfact_totals(lines)["AmountIncl"]}
        body, event_id = _invoice(ids, hid, debtor, credit_lines, debtor_v1[debtor],
                                  installation, Status="8", credits=credits)
        events.append(Event(event_id, "invoice.issued", body, installation,
                            (installation, "invoice", str(hid))))
        work.expected[(installation, "invoice", str(hid))] = Expected(
            installation, "invoice", str(hid), _invoice_code(hid), division,
            ref=_invoice_code(hid))

    # purchase invoices from the creditors (each brings its creditor)
    for k in range(1, n_purchases + 1):
        hid = offset + 5000 + k
        creditor = rng.choice(creditors)
        lines3 = [(p, q, t) for p, q, t, _ in rng.sample(LINE_MENU, rng.randint(1, 2))]
        event_id = ids()
        body = _purchase(hid, creditor, lines3, installation, event_id)
        events.append(Event(event_id, "purchase_invoice.received", body, installation,
                            (installation, "purchase_invoice", str(hid))))
        work.expected[(installation, "purchase_invoice", str(hid))] = Expected(
            installation, "purchase_invoice", str(hid), f"CF{hid:04d}", division,
            ref=f"SUP-{hid}")

    if batch_size:
        batch_id = f"SDD2026{12 + offset // 100_000:02d}05"[:11]
        elements = [(hid, debtor, total) for hid, debtor, total, _ in invoices[:batch_size]]
        event_id = ids()
        body = _batch(batch_id, elements, installation, event_id)
        events.append(Event(event_id, "sdd_batch.downloaded", body, installation,
                            (installation, "sdd_batch", batch_id)))
        work.expected[(installation, "sdd_batch", batch_id)] = Expected(
            installation, "sdd_batch", batch_id, batch_id, division, ref=batch_id)
    return events


def _shuffle_keeping_versions(rng: random.Random, events: list[Event],
                              reversed_share: float = 0.0) -> None:
    """Shuffle, but keep each debtor's versions in their HostFact order (the relay publishes
    one record's rows in outbox order), except ``reversed_share`` of the debtors, whose
    versions come newest first."""
    rng.shuffle(events)
    slots: dict[tuple[str, str, str], list[int]] = {}
    for index, event in enumerate(events):
        if event.record is not None and event.type == "debtor.upserted":
            slots.setdefault(event.record, []).append(index)
    for positions in slots.values():
        ordered = sorted((events[p] for p in positions), key=lambda e: json.loads(e.body)[
            "data"]["Modified"], reverse=rng.random() < reversed_share)
        for position, event in zip(positions, ordered, strict=True):
            events[position] = event


# -- HostFact objects ---------------------------------------------------------------------------

def _debtor_code(hid: int) -> str:
    return f"DB{hid % 100_000:04d}"


def _debtor_name(hid: int, version: int) -> str:
    return f"Klant {hid} B.V." if version == 1 else f"Klant {hid} v{version} B.V."


def _invoice_code(hid: int) -> str:
    return f"F2026-{hid:04d}"


def _creditor(hid: int) -> dict[str, Any]:
    return creditor_data(hid, CompanyName=f"Leverancier {hid} B.V.",
                         CreditorCode=f"CD{hid:04d}")


def _invoice(ids: _Ids, hid: int, debtor: int, lines: Sequence[tuple[str, str, str, str]],
             debtor_v1: dict[str, Any], installation: str, *,
             credits: dict[str, Any] | None = None, **over: Any) -> tuple[bytes, str]:
    event_id = ids()
    related_over: dict[str, Any] = {k: v for k, v in debtor_v1.items()
                                    if k not in ("Identifier",)}
    body = invoice_event(hid, debtor, lines, installation=installation, event_id=event_id,
                         related_over=None if credits is None else {"credits": credits},
                         DebtorCode=debtor_v1["DebtorCode"], **over)
    doc = json.loads(body)
    doc["related"]["debtor"] = {**doc["related"]["debtor"], **related_over}
    return _checked(doc), event_id


def _purchase(hid: int, creditor: int, lines: Sequence[tuple[str, str, str]],
              installation: str, event_id: str) -> bytes:
    doc = json.loads(purchase_event(hid, creditor, lines, CreditorCode=f"CD{creditor:04d}"))
    doc["id"] = event_id
    doc["source"]["installation"] = installation
    doc["related"]["creditor"] = _creditor(creditor)
    return _checked(doc)


def _batch(batch_id: str, elements: Iterable[tuple[int, int, str]], installation: str,
           event_id: str) -> bytes:
    doc = json.loads(batch_event(batch_id, list(elements)))
    doc["id"] = event_id
    doc["source"]["installation"] = installation
    for element in doc["data"]["Elements"]:
        element["DebtorCode"] = _debtor_code(int(element["Debtor"]))
    return _checked(doc)


def _checked(doc: dict[str, Any]) -> bytes:
    from hfexact.contract import parse_event

    body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    parse_event(body)
    return body


# -- bad input (scenario 5) and fixable failures (scenario 7) --------------------------------------

def bad_inputs(rng: random.Random, installation: str = MAIN) -> list[tuple[Event, str]]:
    """Messages that must be dead-lettered, each with a word its reason or kind must contain."""
    ids = _Ids(rng)
    good = json.loads(invoice_event(90_001, 1, installation=installation))
    out: list[tuple[Event, str]] = []

    def add(body: bytes, word: str, *, type_: str = "invoice.issued",
            content_type: str = "application/json") -> None:
        event_id = ids()
        out.append((Event(event_id, type_, body, installation, content_type=content_type), word))

    def doc_with(**changes: Any) -> dict[str, Any]:
        doc = json.loads(json.dumps(good))
        doc["id"] = ids()
        doc.update(changes)
        return doc

    add(b'{"id": "x", "type": "invoice.issued", "data": {', "json")
    add(json.dumps(doc_with()).encode(), "content", content_type="text/plain")
    add(json.dumps(doc_with(type="invoice.exploded")).encode(), "type", type_="invoice.exploded")
    add(json.dumps(doc_with(version=7)).encode(), "version")
    missing = doc_with()
    del missing["data"]["InvoiceCode"]
    add(json.dumps(missing).encode(), "InvoiceCode")
    floats = doc_with()
    floats["data"]["AmountExcl"] = 100.0
    add(json.dumps(floats).encode(), "AmountExcl")
    big = doc_with()
    big["data"]["Description"] = "x" * (10 * 1024 * 1024)
    add(json.dumps(big).encode(), "over the limit")
    utf = json.dumps(doc_with()).encode().replace(b"Regel 1", b"Regel \xff\xfe 1")
    add(utf, "utf-8")
    huge = doc_with()
    huge["data"]["InvoiceLines"][0]["PriceExcl"] = "1" + "0" * 40 + ".00"
    add(json.dumps(huge).encode(), "PriceExcl")  # beyond Decimal's 28 digits: the contract
    poison_id = ids()
    out.append((Event(poison_id, "invoice.issued", poison_invoice(poison_id, installation),
                      installation), "crash"))
    return out


def poison_invoice(event_id: str, installation: str = MAIN, hid: int = 90_002) -> bytes:
    """A contract-valid invoice; the worker runs with ``HFEXACT_POISON_EVENT_IDS`` naming its
    event id, so processing it raises a plain ``RuntimeError``: a bug-shaped crash, not a
    BridgeError (``hfexact.crashpoints.poisoned``)."""
    return invoice_event(hid, 1, [("1", "1", "0", "")], installation=installation,
                         event_id=event_id)


def settings_without_rate(installation: str, rate: str, rng: random.Random) -> Event:
    """Settings whose sales VAT table lacks ``rate`` (the operator has not mapped it yet)."""
    data = settings_data()
    del data["vat_codes"][rate]
    return settings_event(installation, _Ids(rng), vat_codes=data["vat_codes"])


def complete_settings(installation: str, rng: random.Random) -> Event:
    """The operator's fix: every rate mapped (a new settings version)."""
    return settings_event(installation, _Ids(rng))


def sales_at_rate(work: Workload, rate: str) -> list[Event]:
    """The sales (and credit) invoices of ``work`` with a line at ``rate`` percent VAT."""
    out = []
    for event in work.events:
        if event.type != "invoice.issued":
            continue
        lines = json.loads(event.body)["data"]["InvoiceLines"]
        if any(line["TaxPercentage"] == rate for line in lines):
            out.append(event)
    return out


def account_search_code(code: str) -> str:
    return search_code(code)


def money(value: str) -> Decimal:
    return Decimal(value)
