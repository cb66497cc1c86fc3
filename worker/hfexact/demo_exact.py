"""The demo's Exact side: what happens in Exact without the bridge (the bank feed, the
accountant), through the sandbox's control API and, for the accountant's own bookings, the
Exact API itself."""

from __future__ import annotations

from typing import Any

import requests

from hfexact.config import Settings
from hfexact.demo_php import DemoStepFailed
from hfexact.exact.client import ExactClient
from hfexact.store import Binding, Store

DIVISION = 123456


class ExactSide:
    def __init__(self, base_url: str, settings: Settings, store: Store) -> None:
        self.base_url = base_url
        self.settings = settings
        self.store = store

    def control(self, name: str, body: Any = None) -> Any:
        response = requests.post(f"{self.base_url}/sandbox/{name}", json=body, timeout=10)
        if response.status_code != 200:
            raise DemoStepFailed(f"the sandbox refused {name}: {response.text[:300]}")
        return response.json()

    def bank_payment(self, entry_number: int, amount: str, date: str) -> Any:
        """A bank receipt (or, for a purchase entry, a payment) matched as Exact's bank feed
        would: in full, in part, or more than is open."""
        return self.control("bank-payment", {"division": DIVISION, "invoice_number": entry_number,
                                             "amount": amount, "date": date})

    def unmatch(self, entry_number: int) -> Any:
        return self.control("unmatch", {"division": DIVISION, "invoice_number": entry_number})

    def process_entries(self) -> Any:
        """The accountant processes the open entries (status 20 -> 50)."""
        return self.control("process", {"division": DIVISION})

    def match_credit_note(self, invoice: Binding, credit: Binding, amount: str,
                          date: str) -> None:
        """The accountant matches an invoice with its credit note: a memorial booking on the
        receivables account against both entry numbers (no payment for either)."""
        client = ExactClient(self.settings, self.store)
        try:
            receivables = client.get(DIVISION, "financial/GLAccounts",
                                     {"$filter": "Code eq '1300'", "$select": "ID"})[0]["ID"]
            customer = invoice.details["customer_id"]
            when = f"{date}T00:00:00Z"
            client.post(DIVISION, "generaljournalentry/GeneralJournalEntries", {
                "JournalCode": "90", "GeneralJournalEntryLines": [
                    {"GLAccount": receivables, "Account": customer, "AmountFC": f"-{amount}",
                     "OurRef": int(invoice.exact_number or 0), "Date": when,
                     "Description": f"Creditnota {credit.hostfact_code} tegen factuur "
                                    f"{invoice.hostfact_code}"},
                    {"GLAccount": receivables, "Account": customer, "AmountFC": amount,
                     "OurRef": int(credit.exact_number or 0), "Date": when,
                     "Description": f"Factuur {invoice.hostfact_code} tegen creditnota "
                                    f"{credit.hostfact_code}"}]})
        finally:
            client.close()

    def state(self) -> dict[str, Any]:
        """``GET /sandbox/state``: every table of every division and the call counters."""
        response = requests.get(f"{self.base_url}/sandbox/state", timeout=10)
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state
