"""Every valid contract example translates, and its entry's totals are HostFact's to the cent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from hfexact.contract import domain as d
from hfexact.contract import parse_event
from hfexact.contract.marshmallow_schemas import ExportSettingsSchema
from hfexact.core.accounts import creditor_account, creditor_code, debtor_account, debtor_code
from hfexact.core.lookups import Lookups
from hfexact.core.purchases import purchase_entry, purchase_gl_code
from hfexact.core.sales import sales_entry, sales_gl_codes, used_taxrates
from hfexact.core.sdd import BookedInvoice, collected, sdd_batch_entry, sdd_reversal_entry
from hfexact.errors import TranslationError

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "valid"


def _examples(kind: str) -> list[Path]:
    return sorted((EXAMPLES / kind).glob("*.json"))


def _settings() -> d.ExportSettings:
    env = parse_event((EXAMPLES / "settings.changed" / "design-defaults.json").read_bytes())
    assert isinstance(env.data, d.ExportSettings)
    return env.data


def _all_gl(settings: d.ExportSettings) -> Lookups:
    codes = {settings.revenue_gl.default, settings.purchase_gl.default,
             settings.sdd.intermediate_gl, *settings.revenue_gl.by_group.values(),
             *settings.purchase_gl.by_group.values()}
    return Lookups(gl_accounts={c: f"00000000-0000-0000-0000-{int(c):012d}" for c in codes},
                   receivables_gl="00000000-0000-0000-0000-000000001300")


def _sum(lines: list[dict[str, object]], key: str) -> Decimal:
    return sum((Decimal(str(x[key])) for x in lines), Decimal(0))


@pytest.mark.parametrize("path", _examples("invoice.issued") + _examples("invoice.changed"),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_invoice_examples_book_hostfact_totals(path: Path) -> None:
    """Each example invoice becomes an entry whose lines add up to AmountExcl and AmountTax."""
    env = parse_event(path.read_bytes())
    assert isinstance(env.data, d.Invoice)
    assert isinstance(env.related, d.InvoiceRelated)
    inv = env.data
    settings = _settings()
    lookups = _all_gl(settings)
    if inv.status == d.INVOICE_CONCEPT:  # a concept is never exported
        with pytest.raises(TranslationError, match="concept"):
            sales_entry(inv, env.related, settings, lookups, customer_id="c")
        return
    assert sales_gl_codes(inv, env.related, settings) <= set(lookups.gl_accounts)
    payload = sales_entry(inv, env.related, settings, lookups, customer_id="c",
                          used_taxrates=used_taxrates(env.raw))
    lines = payload["SalesEntryLines"]
    assert _sum(lines, "AmountFC") == inv.amount_excl
    assert _sum(lines, "VATAmountFC") == inv.amount_tax
    assert payload["YourRef"] == inv.invoice_code
    if inv.authorisation:
        assert payload["PaymentCondition"] == "IN"


@pytest.mark.parametrize("path", _examples("purchase_invoice.received"),
                         ids=lambda p: p.stem)
def test_purchase_examples_book_hostfact_totals(path: Path) -> None:
    """Each example purchase invoice becomes an entry with HostFact's totals."""
    env = parse_event(path.read_bytes())
    assert isinstance(env.data, d.PurchaseInvoice)
    assert isinstance(env.related, d.PurchaseInvoiceRelated)
    settings = _settings()
    lookups = _all_gl(settings)
    assert purchase_gl_code(env.related, settings) in lookups.gl_accounts
    payload = purchase_entry(env.data, env.related, settings, lookups, supplier_id="s")
    assert _sum(payload["PurchaseEntryLines"], "AmountFC") == env.data.amount_excl
    assert _sum(payload["PurchaseEntryLines"], "VATAmountFC") == env.data.amount_tax


@pytest.mark.parametrize("path", _examples("debtor.upserted") + _examples("creditor.upserted"),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_party_examples_become_accounts(path: Path) -> None:
    """Debtors become customers, creditors suppliers, both with a masked code."""
    env = parse_event(path.read_bytes())
    settings = _settings()
    if isinstance(env.data, d.Debtor):
        code = debtor_code(env.data, settings)
        payload = debtor_account(env.data, settings, code=code)
        assert payload["Status"] == "C"
    else:
        assert isinstance(env.data, d.Creditor)
        code = creditor_code(env.data, settings)
        payload = creditor_account(env.data, settings, code=code)
        assert payload["IsSupplier"] is True
    assert code is not None
    assert payload["Code"].strip() == code
    assert payload["Name"]


@pytest.mark.parametrize("path", _examples("sdd_batch.downloaded"), ids=lambda p: p.stem)
def test_batch_examples_balance(path: Path) -> None:
    """Each example batch books a balanced entry with one line per collected invoice."""
    env = parse_event(path.read_bytes())
    assert isinstance(env.data, d.SddBatch)
    booked = {e.invoice_code: BookedInvoice(e.invoice_code, "c", 26700000 + i)
              for i, e in enumerate(env.data.elements)}
    payload = sdd_batch_entry(env.data, _settings(), _all_gl(_settings()), booked)
    lines = payload["GeneralJournalEntryLines"]
    assert _sum(lines, "AmountFC") == 0
    assert len(lines) == 1 + len(collected(env.data))


@pytest.mark.parametrize("path", _examples("sdd.reversed"), ids=lambda p: p.stem)
def test_reversal_examples_balance(path: Path) -> None:
    """Each example reversal books a balanced two-line entry."""
    env = parse_event(path.read_bytes())
    assert isinstance(env.data, d.SddReversal)
    payload = sdd_reversal_entry(env.data, _settings(), _all_gl(_settings()),
                                 BookedInvoice(env.data.invoice_code, "c", 26700001),
                                 day=env.occurred_at.date())
    assert _sum(payload["GeneralJournalEntryLines"], "AmountFC") == 0


def test_settings_examples_load_back_from_storage() -> None:
    """The stored settings data loads back into the same typed settings."""
    for path in _examples("settings.changed"):
        env = parse_event(path.read_bytes())
        assert ExportSettingsSchema().load(dict(env.raw["data"])) == env.data
