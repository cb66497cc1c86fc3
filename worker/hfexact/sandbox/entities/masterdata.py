"""Master data: ``financial/GLAccounts``, ``financial/Journals``, ``vat/VATCodes``,
``cashflow/PaymentConditions``. Seeded per division; served read-only (the bridge and the
reference clients only read them; Exact also allows writes, which the sandbox refuses with 405).
"""

from __future__ import annotations

from hfexact.sandbox.entities.base import StoredSet
from hfexact.sandbox.schema import GL_ACCOUNT, JOURNAL, PAYMENT_CONDITION, VAT_CODE


class GLAccounts(StoredSet):
    path = "financial/GLAccounts"
    etype = GL_ACCOUNT


class Journals(StoredSet):
    path = "financial/Journals"
    etype = JOURNAL


class VATCodes(StoredSet):
    path = "vat/VATCodes"
    etype = VAT_CODE


class PaymentConditions(StoredSet):
    path = "cashflow/PaymentConditions"
    etype = PAYMENT_CONDITION
