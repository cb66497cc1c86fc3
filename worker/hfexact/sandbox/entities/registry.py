"""Every entity set the sandbox serves, keyed by lower-case path."""

from __future__ import annotations

from hfexact.sandbox.entities.accounts import Accounts, BankAccounts
from hfexact.sandbox.entities.base import EntitySet
from hfexact.sandbox.entities.masterdata import GLAccounts, Journals, PaymentConditions, VATCodes


def entity_sets() -> dict[str, EntitySet]:
    sets: list[EntitySet] = [
        Accounts(), BankAccounts(), GLAccounts(), Journals(), VATCodes(), PaymentConditions(),
    ]
    return {s.path.lower(): s for s in sets}
