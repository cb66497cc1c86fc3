"""Event bodies and fixtures for the processor's integration tests (sandbox + real stores).

The builders make HostFact events the way the PHP bridge does (decimal strings, HostFact's
field names, totals computed per rate as HostFact computes them) and check each against the
contract before a test uses it. The fixtures start one Exact sandbox per module on a free
port, reset it per test, log in with the sandbox's ``demo`` client and open a store on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from tests.fixtures.store import (
    open_stores_fixture,
    pg_database_fixture,
    store_url_fixture,
)

from hfexact.config import Settings
from hfexact.contract import parse_event
from hfexact.exact.client import ExactClient
from hfexact.exact.oauth import OAuthClient, OAuthConfig
from hfexact.processing import Processor
from hfexact.processing_types import MessageMeta
from hfexact.sandbox import RunningSandbox, start_sandbox
from hfexact.store import Store

__all__ = ["open_stores_fixture", "pg_database_fixture", "store_url_fixture"]

DIV = 123456
DIV2 = 234567
INSTALLATION = "hf-main"
OTHER = "hf-two"
REDIRECT = "http://127.0.0.1:8599/callback"
CENT = Decimal("0.01")
T0 = dt.datetime(2026, 11, 28, 15, 0, 0, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- event builders

def envelope(event_type: str, data: dict[str, Any], related: dict[str, Any] | None = None, *,
             installation: str = INSTALLATION, occurred_at: dt.datetime | None = None,
             event_id: str | None = None) -> bytes:
    """A contract-valid event body (checked with ``parse_event`` before it is returned)."""
    body = json.dumps({
        "id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "occurred_at": (occurred_at or T0).isoformat(),
        "source": {"system": "hostfact", "installation": installation},
        "data": data,
        "related": related or {},
    }).encode()
    parse_event(body)
    return body


def settings_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "enabled": {"debtors": True, "creditors": True, "invoices": True,
                    "purchase_invoices": True, "sdd_batches": True, "payments": True},
        "debtor_code_mask": "1###",
        "creditor_code_mask": "2###",
        "journals": {"sales": "70", "purchase": "60", "memorial": "90"},
        "revenue_gl": {"default": "8000",
                       "by_product_group": {"Hosting": "8010", "Domeinnamen": "8020"}},
        "purchase_gl": {"default": "4000", "by_creditor_group": {"Datacenter": "4010"}},
        "vat_codes": {
            "21": {"domestic": "2", "eu_business": "6", "eu_consumer": "2", "non_eu": "7"},
            "9": {"domestic": "1", "eu_business": "6", "eu_consumer": "1", "non_eu": "7"},
            "0": {"domestic": "0", "eu_business": "6", "eu_consumer": "0", "non_eu": "7"},
        },
        "purchase_vat_codes": {"21": "3", "9": "4", "0": "0"},
        "sdd": {"intermediate_gl": "1105", "journal": "90", "payment_condition": "IN"},
    }
    data.update(over)
    return data


def _party(n: int, code: str, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Identifier": str(n), "CompanyName": f"Klant {n} B.V.", "CompanyNumber": "34123456",
        "TaxNumber": "NL001234567B01", "Sex": "m", "Initials": "Jan", "SurName": f"Jansen {n}",
        "Address": "Kalverstraat 12", "Address2": "", "ZipCode": "1012 NX", "City": "Amsterdam",
        "State": "", "Country": "NL", "EmailAddress": f"admin{n}@klant.example;ceo@klant.example",
        "PhoneNumber": "+31 20 123 4567", "MobileNumber": "", "FaxNumber": "",
        "AccountNumber": "", "AccountBIC": "", "AccountName": "", "AccountBank": "",
        "AccountCity": "", "Groups": [], "Created": "2026-03-02 10:15:00",
        "Modified": "2026-11-28 15:00:00",
    }
    data.update(over)
    return data


def debtor_data(n: int, **over: Any) -> dict[str, Any]:
    base = {"DebtorCode": f"DB{n:04d}", "Status": "1", "LegalForm": "BV", "Website": "",
            "InvoiceMethod": "0", "InvoiceTerm": "-1", "Taxable": "auto",
            "InvoiceAuthorisation": "no", "MandateID": "", "MandateDate": ""}
    return _party(n, base["DebtorCode"], **{**base, **over})


def creditor_data(n: int, **over: Any) -> dict[str, Any]:
    base = {"CreditorCode": f"CD{n:04d}", "MyCustomerCode": "K-1", "Comment": "",
            "Authorisation": "no", "Term": "14",
            "Groups": [{"id": "7", "GroupName": "Datacenter"}]}
    return _party(n, base["CreditorCode"], **{**base, **over})


Line = tuple[str, str, str, str]  # price, number, tax percentage, product code


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


def hostfact_totals(lines: Sequence[Line], discount: str = "0") -> dict[str, Any]:
    """AmountExcl/Tax/Incl and UsedTaxrates as HostFact computes them (VAT per rate total)."""
    per_rate: dict[Decimal, Decimal] = {}
    for price, number, tax, _ in lines:
        net = (Decimal(price) * Decimal(number)).quantize(CENT, rounding=ROUND_HALF_UP)
        per_rate[Decimal(tax)] = per_rate.get(Decimal(tax), Decimal(0)) + net
    used: dict[str, Any] = {}
    excl = tax_total = Decimal(0)
    for rate, total in per_rate.items():
        r_excl = (total * (1 - Decimal(discount) / 100)).quantize(CENT, rounding=ROUND_HALF_UP)
        r_tax = (r_excl * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        used[str(rate / 100)] = {"AmountExcl": _money(r_excl), "AmountTax": _money(r_tax),
                                 "AmountIncl": _money(r_excl + r_tax)}
        excl += r_excl
        tax_total += r_tax
    return {"AmountExcl": _money(excl), "AmountTax": _money(tax_total),
            "AmountIncl": _money(excl + tax_total), "UsedTaxrates": used}


def invoice_data(n: int, debtor: int, lines: Sequence[Line] = (("100", "1", "21", "P0001"),),
                 **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Identifier": str(n), "InvoiceCode": f"F2026-{n:04d}", "Debtor": str(debtor),
        "DebtorCode": f"DB{debtor:04d}", "Status": "2", "SubStatus": "", "Date": "2026-11-28",
        "Term": "14", "AmountPaid": "0.00", "Discount": "0", "VatCalcMethod": "excl",
        "Currency": "EUR", "CompanyName": f"Klant {debtor} B.V.", "TaxNumber": "NL001234567B01",
        "Initials": "Jan", "SurName": f"Jansen {debtor}", "Country": "NL",
        "Authorisation": "no", "PaymentMethod": "", "Description": "",
        "Created": "2026-11-28 14:00:00", "Modified": "2026-11-28 15:00:00",
        "InvoiceLines": [
            {"Identifier": str(n * 100 + i), "Number": number, "ProductCode": product,
             "Description": f"Regel {i + 1}", "PriceExcl": price, "DiscountPercentage": "0",
             "DiscountPercentageType": "line", "TaxPercentage": tax}
            for i, (price, number, tax, product) in enumerate(lines)
        ],
    }
    data.update(hostfact_totals(lines, str(over.get("Discount", "0"))))
    data.update(over)
    return data


def invoice_related(debtor: int, credits: dict[str, Any] | None = None,
                    **debtor_over: Any) -> dict[str, Any]:
    related: dict[str, Any] = {
        "debtor": debtor_data(debtor, **debtor_over),
        "product_groups": {"P0001": ["Hosting"], "P0002": ["Overig", "Domeinnamen"]},
    }
    if credits is not None:
        related["credits"] = credits
    return related


def invoice_event(n: int, debtor: int, lines: Sequence[Line] = (("100", "1", "21", "P0001"),),
                  *, event_type: str = "invoice.issued", installation: str = INSTALLATION,
                  related_over: dict[str, Any] | None = None, occurred_at: dt.datetime | None
                  = None, event_id: str | None = None, **over: Any) -> bytes:
    return envelope(event_type, invoice_data(n, debtor, lines, **over),
                    invoice_related(debtor, **(related_over or {})), installation=installation,
                    occurred_at=occurred_at, event_id=event_id)


def purchase_event(n: int, creditor: int, lines: Sequence[tuple[str, str, str]] = (
        ("250.00", "4", "21"),), **over: Any) -> bytes:
    totals = hostfact_totals([(p, q, t, "") for p, q, t in lines])
    data: dict[str, Any] = {
        "Identifier": str(n), "CreditInvoiceCode": f"CF{n:04d}",
        "InvoiceCode": f"SUP-{n}", "Creditor": str(creditor),
        "CreditorCode": f"CD{creditor:04d}", "Status": "1", "Date": "2026-11-25", "Term": "14",
        "AmountExcl": totals["AmountExcl"], "AmountTax": totals["AmountTax"],
        "AmountIncl": totals["AmountIncl"], "AmountPaid": "0.00", "Currency": "EUR",
        "InvoiceLines": [{"Identifier": str(n * 10 + i), "Number": q, "Description": f"Kosten {i}",
                          "PriceExcl": p, "TaxPercentage": t}
                         for i, (p, q, t) in enumerate(lines)],
        "Created": "2026-11-27 11:00:00", "Modified": "2026-11-27 11:00:00",
    }
    data.update(over)
    return envelope("purchase_invoice.received", data, {"creditor": creditor_data(creditor)})


def batch_event(batch_id: str, elements: Sequence[tuple[int, int, str]], **over: Any) -> bytes:
    """``elements``: (invoice number, debtor number, amount)."""
    total = sum((Decimal(a) for _, _, a in elements), Decimal(0))
    data: dict[str, Any] = {
        "BatchID": batch_id, "Date": "2026-12-05", "Status": "downloaded",
        "Count": str(len(elements)), "Amount": _money(total),
        "DownloadDate": "2026-12-01 09:12:44",
        "Elements": [{"InvoiceID": str(i), "InvoiceCode": f"F2026-{i:04d}", "Debtor": str(d),
                      "DebtorCode": f"DB{d:04d}", "Amount": a, "Status": "draft",
                      "MandateID": f"DB{d:04d}-1", "MandateType": "RCUR", "Reason": ""}
                     for i, d, a in elements],
    }
    data.update(over)
    return envelope("sdd_batch.downloaded", data)


def reversal_event(batch_id: str, invoice: int, debtor: int, amount: str) -> bytes:
    return envelope("sdd.reversed", {
        "Identifier": str(invoice), "InvoiceCode": f"F2026-{invoice:04d}", "Debtor": str(debtor),
        "DebtorCode": f"DB{debtor:04d}", "BatchID": batch_id, "Amount": amount,
        "Reason": "AM04 Onvoldoende saldo", "Action": "reversal", "Date": "2026-12-09"})


def meta(body: bytes, *, redelivered: bool = False) -> MessageMeta:
    doc = json.loads(body)
    return MessageMeta(message_id=doc["id"], content_type="application/json",
                       routing_key=doc["type"], headers={}, redelivered=redelivered)


# --------------------------------------------------------------------------- the sandbox side

class SandboxControl:
    """The sandbox's control API and a view of its state."""

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, name: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.post(f"{self.base}/sandbox/{name}", json=body or {}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        response = requests.get(f"{self.base}/sandbox/state", timeout=10)
        assert response.status_code == 200, response.text
        state: dict[str, Any] = response.json()
        return state

    def table(self, path: str, division: int = DIV) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.state()["divisions"][str(division)][path]
        return rows

    def fault(self, method: str, path: str, **kind: Any) -> None:
        self.post("faults", {"method": method, "path": path, "count": kind.pop("count", 1),
                             **kind})

    def calls(self) -> int:
        """REST calls the sandbox has answered (token calls not counted)."""
        return count_calls(self.state()["counters"])


def count_calls(counters: Any) -> int:
    """Sum the sandbox's per-endpoint call counters (whatever their nesting)."""
    calls = counters.get("calls", counters) if isinstance(counters, dict) else counters
    total = 0
    if isinstance(calls, dict):
        for key, value in calls.items():
            if "oauth2" in str(key) or "sandbox" in str(key):
                continue
            total += count_calls(value) if isinstance(value, dict) else int(value)
    return total


@pytest.fixture(scope="module", name="sandbox")
def sandbox_fixture() -> Iterator[RunningSandbox]:
    server = start_sandbox(port=0, divisions=[DIV, DIV2])
    yield server
    server.stop()


@pytest.fixture(name="control")
def control_fixture(sandbox: RunningSandbox) -> SandboxControl:
    ctl = SandboxControl(sandbox.base_url)
    ctl.post("reset")
    return ctl


@pytest.fixture(name="settings")
def settings_fixture(control: SandboxControl, store_url: str) -> Settings:
    return Settings(
        exact_base_url=control.base, exact_client_id="demo", exact_client_secret="demo",
        exact_redirect_uri=REDIRECT, exact_division=DIV, divisions={OTHER: DIV2},
        store_url=store_url, http_timeout_seconds=10.0,
    )


@pytest.fixture(name="store")
def store_fixture(store_url: str, open_stores: Callable[..., Store]) -> Store:
    opened: Store = open_stores(store_url)
    return opened


def log_in(settings: Settings, store: Store) -> None:
    """The OAuth consent against the sandbox (it consents at once), tokens into the store."""
    config = OAuthConfig.from_settings(settings, store)
    oauth = OAuthClient(config)
    url, _state = oauth.authorization_url()
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    store.save_tokens(config.client_id, oauth.exchange_code(code))


@pytest.fixture(name="client")
def client_fixture(settings: Settings, store: Store) -> Iterator[ExactClient]:
    log_in(settings, store)
    exact = ExactClient(settings, store, max_inline_wait=0.0)
    yield exact
    exact.close()


@pytest.fixture(name="processor")
def processor_fixture(settings: Settings, store: Store, client: ExactClient) -> Processor:
    return Processor(settings, store, client)


@pytest.fixture(name="ready")
def ready_fixture(processor: Processor) -> Processor:
    """A processor whose installations both have valid settings."""
    for installation in (INSTALLATION, OTHER):
        body = envelope("settings.changed", settings_data(), installation=installation)
        outcome = processor.process(body, meta(body))
        assert outcome.results[0].body["data"]["valid"] is True, outcome.results
    return processor


class TestBuilders:
    def test_invoice_totals_follow_hostfact(self) -> None:
        """Three 1.07 lines: VAT over the rate total is 0.67 (per line it would be 0.66)."""
        totals = hostfact_totals([("1.07", "1", "21", "")] * 3)
        assert (totals["AmountExcl"], totals["AmountTax"], totals["AmountIncl"]) == (
            "3.21", "0.67", "3.88")

    def test_every_builder_makes_a_valid_event(self) -> None:
        """The bodies satisfy the contract (envelope() parses each one)."""
        for body in (invoice_event(1, 1), purchase_event(1, 1), batch_event("SDD20261205",
                     [(1, 1, "121.00")]), reversal_event("SDD20261205", 1, 1, "121.00"),
                     envelope("debtor.upserted", debtor_data(1)),
                     envelope("creditor.upserted", creditor_data(1))):
            assert parse_event(body).type
