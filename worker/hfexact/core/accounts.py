"""HostFact debtors and creditors as Exact ``crm/Accounts`` payloads.

* Debtor -> customer account: ``Status`` ``C``; direct-debit debtors (``InvoiceAuthorisation``
  yes) get the payment condition from ``sdd.payment_condition`` (``IN``).
* Creditor -> supplier account: ``IsSupplier`` true.
* ``Code`` from the mask (``codes.map_code``), right-aligned to Exact's 18 characters here,
  in the payload, so every caller sends the stored form; without a mask no ``Code`` is sent
  and Exact assigns the next one.
* ``Name``: the company name, else first name + surname, else the HostFact code.
* ``SearchCode`` = the HostFact code (cut to 10 characters, Exact's search-code width
  [inferred]): the accountant finds ``DB0001`` in Exact, and the worker finds an account it
  created before a crash even when Exact assigned the code.
* Empty HostFact fields are left out: on a POST Exact keeps its defaults, and an update never
  blanks what the accountant filled in Exact while HostFact has nothing.
"""

from __future__ import annotations

from typing import Any

from hfexact.contract.domain import Creditor, Debtor, ExportSettings
from hfexact.core.codes import exact_code_field, map_code
from hfexact.core.lookups import clip, first_email

NAME_MAX = 100
SEARCH_CODE_MAX = 10


def search_code(hostfact_code: str) -> str:
    """The ``SearchCode`` an account of this HostFact record carries."""
    return hostfact_code.strip()[:SEARCH_CODE_MAX]


def display_name(company_name: str, initials: str, surname: str, fallback: str) -> str:
    """The account name as Exact shows it."""
    name = company_name.strip() or " ".join(p for p in (initials.strip(), surname.strip()) if p)
    return clip(name or fallback, NAME_MAX)


def debtor_code(debtor: Debtor, settings: ExportSettings) -> str | None:
    """The Exact account code of a debtor, or None when Exact assigns it."""
    return map_code(debtor.debtor_code, settings.debtor_code_mask)


def creditor_code(creditor: Creditor, settings: ExportSettings) -> str | None:
    """The Exact account code of a creditor, or None when Exact assigns it."""
    return map_code(creditor.creditor_code, settings.creditor_code_mask)


def _put(payload: dict[str, Any], key: str, value: str, limit: int = 255) -> None:
    text = value.strip()
    if text:
        payload[key] = clip(text, limit)


def _contact_fields(
    payload: dict[str, Any],
    *,
    address: str,
    address2: str,
    zip_code: str,
    city: str,
    country: str,
    email: str,
    phone: str,
    tax_number: str,
    company_number: str,
) -> None:
    _put(payload, "AddressLine1", address)
    _put(payload, "AddressLine2", address2)
    _put(payload, "Postcode", zip_code, 20)
    _put(payload, "City", city)
    _put(payload, "Country", country.upper(), 3)
    _put(payload, "Email", first_email(email))
    _put(payload, "Phone", phone, 30)
    _put(payload, "VATNumber", tax_number.replace(" ", ""), 30)
    _put(payload, "ChamberOfCommerce", company_number, 30)


def debtor_account(
    debtor: Debtor, settings: ExportSettings, *, code: str | None
) -> dict[str, Any]:
    """The ``crm/Accounts`` payload for a debtor (POST and PUT)."""
    payload: dict[str, Any] = {
        "Name": display_name(
            debtor.company_name, debtor.initials, debtor.surname, debtor.debtor_code
        ),
        "Status": "C",
        "SearchCode": search_code(debtor.debtor_code),
    }
    if code is not None:
        payload["Code"] = exact_code_field(code)
    _contact_fields(
        payload,
        address=debtor.address,
        address2=debtor.address2,
        zip_code=debtor.zip_code,
        city=debtor.city,
        country=debtor.country,
        email=debtor.email_address,
        phone=debtor.phone_number or debtor.mobile_number,
        tax_number=debtor.tax_number,
        company_number=debtor.company_number,
    )
    if debtor.invoice_authorisation and settings.sdd.payment_condition.strip():
        payload["PaymentConditionSales"] = settings.sdd.payment_condition.strip()
    return payload


def creditor_account(
    creditor: Creditor, settings: ExportSettings, *, code: str | None
) -> dict[str, Any]:
    """The ``crm/Accounts`` payload for a creditor: a supplier (``IsSupplier``)."""
    del settings  # creditors take nothing from the settings beyond the code mask
    payload: dict[str, Any] = {
        "Name": display_name(
            creditor.company_name, creditor.initials, creditor.surname, creditor.creditor_code
        ),
        "IsSupplier": True,
        "SearchCode": search_code(creditor.creditor_code),
    }
    if code is not None:
        payload["Code"] = exact_code_field(code)
    _contact_fields(
        payload,
        address=creditor.address,
        address2=creditor.address2,
        zip_code=creditor.zip_code,
        city=creditor.city,
        country=creditor.country,
        email=creditor.email_address,
        phone=creditor.phone_number,
        tax_number=creditor.tax_number,
        company_number=creditor.company_number,
    )
    return payload


def blocked_account() -> dict[str, Any]:
    """The PUT that blocks an archived debtor's account (bookings stay untouched)."""
    return {"Blocked": True}
