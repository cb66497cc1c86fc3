"""Reading payment state from Exact, cheaply: the calls the poller makes.

* ``sync/Cashflow/PaymentTerms?$filter=Timestamp gt N&$select=...``: every receivable and
  payable term changed since ``N``, 1,000 rows a call, ordered by ``Timestamp`` (Exact's sync
  contract: resume from the highest Timestamp returned). One call per poll when fewer than
  1,000 terms changed. ``LineType`` cannot be filtered server-side, so both sides come.
* ``cashflow/Receivables?$filter=InvoiceNumber eq A or InvoiceNumber eq B ...``: the present
  terms of a few invoices, when the sync did not show every piece of an entry (the poller
  started after a partial payment, or a binding finished after its rows went by).
* ``bulk/Cashflow/Receivables`` (1,000 a page) or ``read/financial/ReceivablesList`` and
  ``read/financial/PayablesList`` (60 a page): Exact's open items, for ``--reconcile``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from hfexact.errors import ExactRejected
from hfexact.payments.terms import PAYABLE, RECEIVABLE, TermRow

SYNC = "sync/Cashflow/PaymentTerms"
RECEIVABLES = "cashflow/Receivables"
BULK_RECEIVABLES = "bulk/Cashflow/Receivables"
RECEIVABLES_LIST = "read/financial/ReceivablesList"
PAYABLES_LIST = "read/financial/PayablesList"
SYNC_PAGE = 1000
#: page size of the normal (non-bulk, non-sync) endpoints
LIST_PAGE = 60
#: invoice numbers per cashflow/Receivables call (keeps the URL well under 2,000 characters)
NUMBERS_PER_CALL = 25

TERM_FIELDS = ("ID", "Status", "AmountDC", "TransactionAmountDC", "TransactionEntryID",
               "InvoiceNumber", "TransactionType", "LastPaymentDate", "EndDate")
SYNC_SELECT = ",".join(("Timestamp", "LineType", *TERM_FIELDS))
RECEIVABLES_SELECT = ",".join(TERM_FIELDS)
OPEN_LIST_SELECT = "HID,InvoiceNumber,Amount,YourRef"


class ExactReader(Protocol):
    """The part of ``hfexact.exact.client.ExactClient`` the poller uses."""

    def get(self, division: int, path: str,
            params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...


class CountingReader:
    """Counts the calls made through it (the poller's share of the daily budget).

    With an ``ExactClient`` the count is what really went out (its ``calls``): a call refused
    by the rate budget before it was sent does not count.
    """

    def __init__(self, client: ExactReader) -> None:
        self.client = client
        self._start = self._sent()
        self._answered = 0

    def _sent(self) -> int | None:
        sent = getattr(self.client, "calls", None)
        return sent if isinstance(sent, int) else None

    @property
    def calls(self) -> int:
        sent = self._sent()
        if sent is None or self._start is None:
            return self._answered
        return sent - self._start

    def get(self, division: int, path: str,
            params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        rows = self.client.get(division, path, params)
        self._answered += 1
        return rows

    def sync_page(self, division: int, after: int) -> list[TermRow]:
        """The terms changed after Timestamp ``after`` (at most one page)."""
        rows = self.get(division, SYNC, {"$filter": f"Timestamp gt {max(after, 1)}",
                                         "$select": SYNC_SELECT})
        return [TermRow.from_exact(r) for r in rows]

    def receivables_of(self, division: int, numbers: Sequence[int]) -> list[TermRow]:
        """The present terms (own pieces and payments naming them) of these invoice numbers."""
        found: list[TermRow] = []
        unique = sorted(set(numbers))
        for start in range(0, len(unique), NUMBERS_PER_CALL):
            chunk = unique[start:start + NUMBERS_PER_CALL]
            flt = " or ".join(f"InvoiceNumber eq {n}" for n in chunk)
            rows = self.get(division, RECEIVABLES, {"$filter": flt,
                                                    "$select": RECEIVABLES_SELECT})
            found += [TermRow.from_exact(r, line_type=RECEIVABLE) for r in rows]
        return found


PageGetter = Callable[[str, Mapping[str, Any]], list[dict[str, Any]]]


def read_all(get_page: PageGetter, path: str, params: Mapping[str, Any],
             page_size: int) -> list[dict[str, Any]]:
    """Every row, page by page with ``$skip`` (so a wait between pages loses nothing)."""
    rows: list[dict[str, Any]] = []
    while True:
        page = get_page(path, {**params, "$skip": len(rows)} if rows else params)
        rows += page
        if len(page) < page_size:
            return rows


def open_items(get_page: PageGetter, *, purchases: bool) -> list[tuple[int, int, Any]]:
    """Exact's open items as ``(line_type, invoice number, amount)``.

    Sales from ``bulk/Cashflow/Receivables`` (1,000 a page, Status below 50 = not matched);
    when the bulk endpoint is refused, from ``read/financial/ReceivablesList`` (60 a page).
    Purchases from ``read/financial/PayablesList``.
    """
    try:
        sales = [(RECEIVABLE, r.get("InvoiceNumber"), r.get("AmountDC")) for r in read_all(
            get_page, BULK_RECEIVABLES,
            {"$filter": "Status lt 50", "$select": "InvoiceNumber,AmountDC"}, SYNC_PAGE)]
    except ExactRejected:
        sales = [(RECEIVABLE, r.get("InvoiceNumber"), r.get("Amount")) for r in read_all(
            get_page, RECEIVABLES_LIST, {"$select": OPEN_LIST_SELECT}, LIST_PAGE)]
    items = sales
    if purchases:
        items += [(PAYABLE, r.get("InvoiceNumber"), r.get("Amount")) for r in read_all(
            get_page, PAYABLES_LIST, {"$select": OPEN_LIST_SELECT}, LIST_PAGE)]
    return [(t, int(n), a) for t, n, a in items if n is not None]
