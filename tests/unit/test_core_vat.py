"""VAT: customer kind from country and VAT number, VAT code from (rate, kind)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hfexact.core.vat import customer_kind, purchase_vat_code, rate_key, sales_vat_code
from hfexact.errors import TranslationError

VAT_CODES = {
    "21": {"domestic": "2", "eu_business": "6", "eu_consumer": "2", "non_eu": "7"},
    "9": {"domestic": "1", "eu_business": "6", "eu_consumer": "1", "non_eu": "7"},
    "0": {"domestic": "0", "eu_business": "6", "eu_consumer": "0", "non_eu": "7"},
}


class TestCustomerKind:
    @pytest.mark.parametrize(
        ("country", "tax_number", "home", "kind"),
        [
            ("NL", "", "NL", "domestic"),
            ("NL", "NL123456789B01", "NL", "domestic"),  # a Dutch VAT number stays domestic
            ("nl ", None, "NL", "domestic"),  # padded / lower case as Exact and HostFact send
            ("", "", "NL", "domestic"),  # no country: the home country
            (None, None, "NL", "domestic"),
            ("BE", "BE0123456789", "NL", "eu_business"),
            ("DE", "  ", "NL", "eu_consumer"),  # blank VAT number is no VAT number
            ("DE", None, "NL", "eu_consumer"),
            ("GR", "EL123456789", "NL", "eu_business"),
            ("US", "", "NL", "non_eu"),
            ("GB", "GB123456789", "NL", "non_eu"),  # the UK left the EU
            ("CH", "CHE-123.456.789", "NL", "non_eu"),
            ("NL", "NL123456789B01", "BE", "eu_business"),  # another home country
            ("BE", "", "BE", "domestic"),
        ],
    )
    def test_kind(self, country: str | None, tax_number: str | None, home: str, kind: str) -> None:
        """The kind follows HostFact's tax rules: home, EU with/without VAT number, outside."""
        assert customer_kind(country, tax_number, home) == kind


class TestRateKey:
    @pytest.mark.parametrize(
        ("value", "key"),
        [("21", "21"), ("21.00", "21"), (Decimal("9.0"), "9"), (0, "0"), ("0.00", "0"),
         ("5.50", "5.5"), (Decimal("20"), "20")],
    )
    def test_percentages_are_normalised(self, value: object, key: str) -> None:
        """'21.00', 21 and Decimal('21') all find the settings key '21'."""
        assert rate_key(value) == key  # type: ignore[arg-type]

    def test_garbage_is_a_translation_error(self) -> None:
        """A percentage that is not a number cannot select a VAT code."""
        with pytest.raises(TranslationError):
            rate_key("abc")


class TestSalesVatCode:
    @pytest.mark.parametrize(
        ("rate", "kind", "code"),
        [("21", "domestic", "2"), ("21.00", "eu_business", "6"), (Decimal("9"), "domestic", "1"),
         ("0", "non_eu", "7"), ("9.00", "eu_consumer", "1")],
    )
    def test_code_from_rate_and_kind(self, rate: object, kind: str, code: str) -> None:
        """The settings table is looked up by normalised rate, then by customer kind."""
        assert sales_vat_code(VAT_CODES, rate, kind) == code  # type: ignore[arg-type]

    def test_settings_keys_may_carry_decimals(self) -> None:
        """An operator typing '21.00' as the key is understood too."""
        assert sales_vat_code({"21.00": {"domestic": "2 "}}, "21", "domestic") == "2"

    def test_unknown_rate_names_the_rate(self) -> None:
        """A rate without a row is refused, naming the rate."""
        with pytest.raises(TranslationError, match="6%"):
            sales_vat_code(VAT_CODES, "6", "domestic")

    def test_missing_kind_names_rate_and_kind(self) -> None:
        """A row without the customer's kind is refused, naming both."""
        with pytest.raises(TranslationError) as info:
            sales_vat_code({"21": {"domestic": "2"}}, "21", "non_eu")
        assert "21%" in str(info.value)
        assert "non_eu" in str(info.value)


class TestPurchaseVatCode:
    def test_code_by_rate(self) -> None:
        """Purchases map the rate alone."""
        assert purchase_vat_code({"21": "3", "9": "4", "0": "0"}, "21.00") == "3"

    def test_missing_rate(self) -> None:
        """A purchase rate without a code is refused."""
        with pytest.raises(TranslationError, match="purchase VAT code"):
            purchase_vat_code({"21": "3"}, "9")
