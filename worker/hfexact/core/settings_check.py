"""Check the operator's export settings against the Exact division's master data.

Pure: the processor fetches GL accounts, journals, VAT codes and payment conditions (or takes
them from the cache) and passes them in; this module only compares and lists every problem in
plain English, so ``settings.validated`` can show them all at once.

Rules (Exact's types, reference §3.6):

* sales lines need revenue GL accounts (type 110); Exact refuses receivables (20) or VAT (24)
  accounts there with ``Ongeldig: Grootboekrekeningtype``;
* purchase lines need a cost account: not cash/bank, receivables, payables, VAT or revenue;
* the direct-debit intermediate account must not be a receivables, payables or VAT account;
* journals: sales type 20, purchase type 22, memorial and direct-debit journal type 90;
* every VAT code and the direct-debit payment condition (``IN``) must exist; domestic sales
  codes and purchase codes must carry the percentage they are configured for;
* nothing referenced may be blocked; the number masks must be valid.

Checks for a kind that is switched off in ``enabled`` are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from hfexact.contract.domain import ExportSettings
from hfexact.core.codes import parse_mask
from hfexact.core.vat import rate_key
from hfexact.errors import TranslationError

GL_CASH, GL_BANK, GL_RECEIVABLES, GL_PAYABLES, GL_VAT, GL_REVENUE = 10, 12, 20, 22, 24, 110
JOURNAL_SALES, JOURNAL_PURCHASE, JOURNAL_GENERAL = 20, 22, 90

GL_TYPE_NAMES = {
    10: "cash", 12: "bank", 20: "receivables (debtors)", 22: "payables (creditors)", 24: "VAT",
    90: "general", 110: "revenue", 111: "cost of goods sold", 120: "other costs",
}
JOURNAL_TYPE_NAMES = {
    10: "cash", 12: "bank", 16: "payment service", 20: "sales", 21: "return invoice",
    22: "purchase", 23: "received return invoice", 90: "general (memorial)",
}


@dataclass(frozen=True)
class GlAccountInfo:
    id: str
    code: str
    type: int
    blocked: bool = False


@dataclass(frozen=True)
class JournalInfo:
    code: str
    type: int
    blocked: bool = False


@dataclass(frozen=True)
class VatCodeInfo:
    code: str
    percentage: Decimal | None = None  # 0-100
    blocked: bool = False


@dataclass(frozen=True)
class MasterData:
    """One division's master data, keyed by the codes the operator types (trimmed)."""

    division: int
    gl_accounts: Mapping[str, GlAccountInfo] = field(default_factory=dict)
    journals: Mapping[str, JournalInfo] = field(default_factory=dict)
    vat_codes: Mapping[str, VatCodeInfo] = field(default_factory=dict)
    payment_conditions: frozenset[str] = frozenset()

    def receivables_gl(self) -> GlAccountInfo | None:
        """The division's receivables account (the lowest code of type 20 not blocked)."""
        found = sorted(
            (g for g in self.gl_accounts.values() if g.type == GL_RECEIVABLES and not g.blocked),
            key=lambda g: g.code,
        )
        return found[0] if found else None


def _type_name(names: Mapping[int, str], value: int) -> str:
    return f"{names[value]} ({value})" if value in names else f"type {value}"


class _Checker:
    def __init__(self, master: MasterData) -> None:
        self.master = master
        self.problems: list[str] = []

    def gl(self, code: str, purpose: str, *, allowed: set[int] | None = None,
           forbidden: set[int] | None = None) -> None:
        code = code.strip()
        where = f"division {self.master.division}"
        if not code:
            self.problems.append(f"{purpose}: no GL account is configured")
            return
        info = self.master.gl_accounts.get(code)
        if info is None:
            self.problems.append(f"{purpose}: GL account {code} does not exist in Exact {where}")
            return
        if info.blocked:
            self.problems.append(f"{purpose}: GL account {code} is blocked in Exact")
        if allowed is not None and info.type not in allowed:
            want = " or ".join(_type_name(GL_TYPE_NAMES, t) for t in sorted(allowed))
            self.problems.append(
                f"{purpose}: GL account {code} is a "
                f"{_type_name(GL_TYPE_NAMES, info.type)} account; it must be {want}"
            )
        if forbidden is not None and info.type in forbidden:
            self.problems.append(
                f"{purpose}: GL account {code} is a {_type_name(GL_TYPE_NAMES, info.type)} "
                f"account, which cannot be used here"
            )

    def journal(self, code: str, purpose: str, wanted: int) -> None:
        code = code.strip()
        if not code:
            self.problems.append(f"{purpose}: no journal is configured")
            return
        info = self.master.journals.get(code)
        if info is None:
            self.problems.append(
                f"{purpose}: journal {code} does not exist in Exact division {self.master.division}"
            )
            return
        if info.blocked:
            self.problems.append(f"{purpose}: journal {code} is blocked in Exact")
        if info.type != wanted:
            self.problems.append(
                f"{purpose}: journal {code} is a {_type_name(JOURNAL_TYPE_NAMES, info.type)} "
                f"journal; it must be a {_type_name(JOURNAL_TYPE_NAMES, wanted)} journal"
            )

    def vat(self, code: str, purpose: str, percentage: str | None) -> None:
        code = code.strip()
        if not code:
            self.problems.append(f"{purpose}: no VAT code is configured")
            return
        info = self.master.vat_codes.get(code)
        if info is None:
            self.problems.append(
                f"{purpose}: VAT code {code} does not exist in Exact division "
                f"{self.master.division}"
            )
            return
        if info.blocked:
            self.problems.append(f"{purpose}: VAT code {code} is blocked in Exact")
        if (
            percentage is not None
            and info.percentage is not None
            and rate_key(info.percentage) != rate_key(percentage)
        ):
            self.problems.append(
                f"{purpose}: VAT code {code} is {rate_key(info.percentage)}% in Exact, "
                f"not {rate_key(percentage)}%"
            )

    def mask(self, mask: str, purpose: str) -> None:
        if mask.strip():
            try:
                parse_mask(mask)
            except TranslationError as exc:
                self.problems.append(f"{purpose}: {exc.message}")


def check_settings(settings: ExportSettings, master: MasterData) -> list[str]:
    """Every problem with these settings in this division; empty when they are usable."""
    c = _Checker(master)
    on = settings.enabled
    if on.debtors or on.invoices:
        c.mask(settings.debtor_code_mask, "debtor number mask")
    if on.creditors or on.purchase_invoices:
        c.mask(settings.creditor_code_mask, "creditor number mask")
    if on.invoices:
        c.journal(settings.journals.sales, "sales journal", JOURNAL_SALES)
        c.gl(settings.revenue_gl.default, "default revenue account", allowed={GL_REVENUE})
        for group, code in sorted(settings.revenue_gl.by_group.items()):
            c.gl(code, f"revenue account for product group {group}", allowed={GL_REVENUE})
        for rate, codes in sorted(settings.vat_codes.items()):
            c.vat(codes.domestic, f"VAT code for {rate}% domestic", rate)
            c.vat(codes.eu_business, f"VAT code for {rate}% EU business", None)
            c.vat(codes.eu_consumer, f"VAT code for {rate}% EU consumer", None)
            c.vat(codes.non_eu, f"VAT code for {rate}% outside the EU", None)
        if not settings.vat_codes:
            c.problems.append("sales VAT codes: none are configured")
    if on.purchase_invoices:
        c.journal(settings.journals.purchase, "purchase journal", JOURNAL_PURCHASE)
        cost_forbidden = {GL_CASH, GL_BANK, GL_RECEIVABLES, GL_PAYABLES, GL_VAT, GL_REVENUE}
        c.gl(settings.purchase_gl.default, "default purchase account", forbidden=cost_forbidden)
        for group, code in sorted(settings.purchase_gl.by_group.items()):
            c.gl(code, f"purchase account for creditor group {group}", forbidden=cost_forbidden)
        for rate, code in sorted(settings.purchase_vat_codes.items()):
            c.vat(code, f"purchase VAT code for {rate}%", rate)
        if not settings.purchase_vat_codes:
            c.problems.append("purchase VAT codes: none are configured")
    if on.sdd_batches:
        c.journal(settings.sdd.journal or settings.journals.memorial,
                  "direct-debit journal", JOURNAL_GENERAL)
        c.gl(settings.sdd.intermediate_gl, "direct-debit intermediate account",
             forbidden={GL_RECEIVABLES, GL_PAYABLES, GL_VAT})
        if master.receivables_gl() is None:
            c.problems.append(
                "direct-debit batches: the Exact division has no receivables (debtors) GL account"
            )
    if settings.journals.memorial.strip():
        c.journal(settings.journals.memorial, "memorial journal", JOURNAL_GENERAL)
    condition = settings.sdd.payment_condition.strip()
    if on.invoices or on.debtors or on.sdd_batches:
        if not condition:
            c.problems.append("direct-debit payment condition: none is configured (use IN)")
        elif condition not in master.payment_conditions:
            c.problems.append(
                f"direct-debit payment condition {condition} does not exist in Exact division "
                f"{master.division}"
            )
    return list(dict.fromkeys(c.problems))  # each problem once, in order
