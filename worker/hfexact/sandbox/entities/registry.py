"""Every entity set the sandbox serves, keyed by lower-case path."""

from __future__ import annotations

from hfexact.sandbox.entities.accounts import Accounts, BankAccounts
from hfexact.sandbox.entities.base import EntitySet
from hfexact.sandbox.entities.divisions import HrmDivisions
from hfexact.sandbox.entities.entries import PurchaseEntries, SalesEntries
from hfexact.sandbox.entities.entry_lines import PurchaseEntryLines, SalesEntryLines
from hfexact.sandbox.entities.masterdata import GLAccounts, Journals, PaymentConditions, VATCodes
from hfexact.sandbox.entities.openitems import (
    BulkReceivables,
    PayablesList,
    PaymentTerms,
    Receivables,
    ReceivablesList,
)
from hfexact.sandbox.entities.transactions import (
    BankEntries,
    BankEntryLines,
    GeneralJournalEntries,
    GeneralJournalEntryLines,
)


def entity_sets() -> dict[str, EntitySet]:
    sets: list[EntitySet] = [
        Accounts(), BankAccounts(), GLAccounts(), Journals(), VATCodes(), PaymentConditions(),
        SalesEntries(), SalesEntryLines(), PurchaseEntries(), PurchaseEntryLines(),
        GeneralJournalEntries(), GeneralJournalEntryLines(), BankEntries(), BankEntryLines(),
        ReceivablesList(), PayablesList(), Receivables(), BulkReceivables(), PaymentTerms(),
        HrmDivisions(),
    ]
    return {s.path.lower(): s for s in sets}
