"""What the translation core needs from Exact, passed in: never fetched inside the core.

The processor resolves the codes the core asks for (``*_gl_codes`` functions in the builders)
to GUIDs of the division being written to, from the store's cache or from Exact, and hands them
over frozen. A code that is not there is a ``TranslationError`` naming it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from hfexact.errors import TranslationError

#: Exact's field widths the payloads respect (longer text is cut, never refused)
DESCRIPTION_MAX = 255
YOUR_REF_MAX = 255


@dataclass(frozen=True)
class Lookups:
    """GUIDs within one division, by the codes the operator typed."""

    #: GL account code (as in the settings, e.g. "8000") -> GUID
    gl_accounts: Mapping[str, str] = field(default_factory=dict)
    #: the division's receivables (debtors, type 20) GL account GUID, for direct-debit lines
    receivables_gl: str | None = None

    def gl(self, code: str, purpose: str) -> str:
        guid = self.gl_accounts.get(code.strip())
        if not guid:
            raise TranslationError(
                f"GL account {code} ({purpose}) does not exist in the Exact division",
                hint="fix the export settings or create the GL account in Exact",
            )
        return guid


def money(value: Decimal) -> str:
    """An amount as Exact accepts it: a decimal string with two decimals (never a float)."""
    return f"{value:.2f}"


def exact_date(day: dt.date) -> str:
    """A date as Exact's POST accepts it: ISO 8601, midnight UTC (as Exact returns dates)."""
    return f"{day.isoformat()}T00:00:00Z"


def clip(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """Text cut to Exact's field width, whitespace collapsed."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def first_email(addresses: str) -> str:
    """HostFact may hold several addresses separated by ``;``; Exact takes one."""
    for part in addresses.replace(",", ";").split(";"):
        if part.strip():
            return part.strip()
    return ""
