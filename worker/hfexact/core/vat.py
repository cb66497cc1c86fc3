"""VAT: the customer kind of a debtor and the Exact VAT code for a (rate, kind) pair.

HostFact has only a percentage per line plus its own tax rules per debtor; Exact needs a VAT
code. The operator maps them in the export settings:
``vat_codes[<TaxPercentage>][<kind>]`` for sales and ``purchase_vat_codes[<TaxPercentage>]``
for purchases. The kind follows from the debtor's country and VAT number, as HostFact's tax
rules (``CountryCode`` all/otherEU/nonEU, ``Restriction`` company_vat) distinguish them:

* ``domestic``: the debtor lives in the home country (or no country is known);
* ``eu_business``: another EU member state and a VAT number (intra-community, reverse charge);
* ``eu_consumer``: another EU member state, no VAT number;
* ``non_eu``: outside the EU.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Literal

from hfexact.errors import TranslationError

CustomerKind = Literal["domestic", "eu_business", "eu_consumer", "non_eu"]
CUSTOMER_KINDS: tuple[CustomerKind, ...] = ("domestic", "eu_business", "eu_consumer", "non_eu")

#: EU member states by ISO 3166-1 alpha-2 (HostFact's ``Country``); Greece also as ``EL``,
#: the prefix its VAT numbers carry.
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "EL", "HR",
    "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})


def customer_kind(country: str | None, tax_number: str | None, home_country: str) -> CustomerKind:
    """Classify a debtor for VAT purposes from its country and VAT number."""
    home = home_country.strip().upper()
    land = (country or "").strip().upper() or home
    if land == home:
        return "domestic"
    if land in EU_COUNTRIES:
        return "eu_business" if (tax_number or "").strip() else "eu_consumer"
    return "non_eu"


def rate_key(percentage: Decimal | str | int) -> str:
    """Normalise a percentage to the settings key: ``21.00`` -> ``21``, ``5.50`` -> ``5.5``."""
    try:
        value = Decimal(str(percentage).strip())
    except InvalidOperation as exc:
        raise TranslationError(f"VAT percentage {percentage!r} is not a number") from exc
    if not value.is_finite():
        raise TranslationError(f"VAT percentage {percentage!r} is not a number")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _by_rate(table: Mapping[str, object], percentage: Decimal | str | int) -> object | None:
    key = rate_key(percentage)
    for raw_key, value in table.items():
        try:
            if rate_key(raw_key) == key:
                return value
        except TranslationError:
            continue
    return None


def sales_vat_code(
    vat_codes: Mapping[str, Mapping[str, str]],
    percentage: Decimal | str | int,
    kind: CustomerKind,
) -> str:
    """The Exact VAT code for a sales line, or TranslationError naming what is missing."""
    row = _by_rate(vat_codes, percentage)
    if not isinstance(row, Mapping):
        raise TranslationError(
            f"no VAT codes configured for {rate_key(percentage)}% "
            f"(settings vat_codes has rates {sorted(vat_codes)})",
            hint="add the rate to vat_codes in the export settings",
        )
    code = row.get(kind)
    if not isinstance(code, str) or not code.strip():
        raise TranslationError(
            f"no VAT code configured for {rate_key(percentage)}% and a {kind} customer",
            hint=f"set vat_codes[{rate_key(percentage)!r}][{kind!r}] in the export settings",
        )
    return code.strip()


def purchase_vat_code(
    purchase_vat_codes: Mapping[str, str], percentage: Decimal | str | int
) -> str:
    """The Exact VAT code for a purchase line."""
    code = _by_rate(purchase_vat_codes, percentage)
    if not isinstance(code, str) or not code.strip():
        raise TranslationError(
            f"no purchase VAT code configured for {rate_key(percentage)}%",
            hint=f"set purchase_vat_codes[{rate_key(percentage)!r}] in the export settings",
        )
    return code.strip()
