"""Line amounts and VAT add up to HostFact's totals exactly, cent for cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfexact.core.amounts import (
    LineInput,
    RateTotal,
    cents,
    distribute,
    line_net,
    rates_from_fractions,
)
from hfexact.errors import TranslationError

D = Decimal


def line(price: str, number: str = "1", tax: str = "21", discount: str = "0") -> LineInput:
    return LineInput(
        price_excl=D(price), number=D(number), tax_percentage=D(tax),
        discount_percentage=D(discount),
    )


class TestLineNet:
    def test_price_times_number(self) -> None:
        """A plain line is price x quantity."""
        assert line_net(line("12.50", "3")) == D("37.50")

    def test_line_discount_then_invoice_discount_rounded_half_up(self) -> None:
        """Line discount, then the invoice discount, each rounded half-up to cents."""
        # 9.99 x 3 x 0.85 = 25.4745 -> 25.47; x 0.9 = 22.923 -> 22.92
        assert line_net(line("9.99", "3", discount="15"), D("10")) == D("22.92")

    def test_half_cent_rounds_away_from_zero_both_signs(self) -> None:
        """0.125 -> 0.13 and -0.125 -> -0.13, like PHP's round()."""
        assert line_net(line("0.125")) == D("0.13")
        assert line_net(line("-0.125")) == D("-0.13")

    def test_unit_price_with_many_decimals(self) -> None:
        """HostFact unit prices may carry four decimals."""
        assert line_net(line("0.0125", "1000")) == D("12.50")


class TestDistribute:
    def test_simple_invoice(self) -> None:
        """One line: amount and VAT are HostFact's totals."""
        d = distribute([line("100")], amount_excl=D("100.00"), amount_tax=D("21.00"),
                       amount_incl=D("121.00"))
        assert [(x.amount, x.vat) for x in d.lines] == [(D("100.00"), D("21.00"))]

    def test_rate_total_vat_differs_from_line_by_line_vat(self) -> None:
        """HostFact's VAT over the rate total (0.67) differs from per-line VAT (3 x 0.22 = 0.66).

        The entry then carries VAT amounts that add up to HostFact's AmountTax, not Exact's
        own per-line calculation: the largest line absorbs the difference.
        """
        lines = [line("1.07"), line("1.07"), line("1.07")]
        # per line: 1.07 * 0.21 = 0.2247 -> 0.22 => 0.66; total 3.21 * 0.21 = 0.6741 -> 0.67
        d = distribute(lines, amount_excl=D("3.21"), amount_tax=D("0.67"), amount_incl=D("3.88"))
        naive = sum(cents(x.amount * D("0.21")) for x in d.lines)
        assert naive == D("0.66")  # Exact's own per-line VAT would miss HostFact by a cent
        assert sum(x.vat for x in d.lines) == D("0.67")
        assert sum(x.amount for x in d.lines) == D("3.21")
        assert [x.vat for x in d.lines] == [D("0.23"), D("0.22"), D("0.22")]

    def test_used_taxrates_are_the_per_rate_targets(self) -> None:
        """With UsedTaxrates, each rate's lines add up to that rate's AmountExcl and AmountTax."""
        lines = [line("10.01"), line("10.01"), line("5.05", tax="9"), line("5.05", tax="9")]
        used = rates_from_fractions(
            {"0.21": RateTotal(D("20.02"), D("4.20")), "0.09": RateTotal(D("10.10"), D("0.91"))}
        )
        d = distribute(lines, amount_excl=D("30.12"), amount_tax=D("5.11"),
                       amount_incl=D("35.23"), used_taxrates=used)
        high = [x for x in d.lines if x.tax_percentage == 21]
        low = [x for x in d.lines if x.tax_percentage == 9]
        assert sum(x.vat for x in high) == D("4.20")  # per line: 2.10 + 2.10
        assert sum(x.vat for x in low) == D("0.91")  # per line: 0.45 + 0.45 = 0.90
        assert sum(x.amount for x in d.lines) == D("30.12")

    def test_invoice_discount_rounding_difference_goes_on_the_largest_line(self) -> None:
        """Per-line discount rounding that misses AmountExcl is settled on the largest line."""
        lines = [line("0.15"), line("0.15"), line("10.00")]
        # per line x 0.5: 0.075 -> 0.08, 0.08, 5.00 = 5.16; HostFact over total: 10.30*0.5 = 5.15
        d = distribute(lines, amount_excl=D("5.15"), amount_tax=D("1.08"),
                       amount_incl=D("6.23"), invoice_discount=D("50"))
        assert [x.amount for x in d.lines] == [D("0.08"), D("0.08"), D("4.99")]
        assert sum(x.vat for x in d.lines) == D("1.08")

    def test_credit_invoice_has_negative_amounts_that_add_up(self) -> None:
        """A credit invoice (status 8) mirrors the sale with negative amounts."""
        lines = [line("-1.07"), line("-1.07"), line("-1.07")]
        d = distribute(lines, amount_excl=D("-3.21"), amount_tax=D("-0.67"),
                       amount_incl=D("-3.88"))
        assert sum(x.amount for x in d.lines) == D("-3.21")
        assert sum(x.vat for x in d.lines) == D("-0.67")
        assert all(x.amount < 0 and x.vat < 0 for x in d.lines)

    def test_mixed_rates_without_used_taxrates(self) -> None:
        """Without UsedTaxrates the per-rate VAT is computed as HostFact does, then fitted."""
        lines = [line("100"), line("50", tax="9"), line("20", tax="0")]
        d = distribute(lines, amount_excl=D("170.00"), amount_tax=D("25.50"),
                       amount_incl=D("195.50"))
        assert [x.vat for x in d.lines] == [D("21.00"), D("4.50"), D("0.00")]

    def test_incl_must_be_excl_plus_tax(self) -> None:
        """Inconsistent totals are refused."""
        with pytest.raises(TranslationError, match="AmountIncl"):
            distribute([line("100")], amount_excl=D("100.00"), amount_tax=D("21.00"),
                       amount_incl=D("121.01"))

    def test_a_real_gap_is_not_papered_over(self) -> None:
        """A missing line (10.00 short) is more than rounding: refused."""
        with pytest.raises(TranslationError, match="more than rounding"):
            distribute([line("100")], amount_excl=D("110.00"), amount_tax=D("23.10"),
                       amount_incl=D("133.10"))

    def test_vat_gap_is_refused(self) -> None:
        """A VAT total that no rounding explains is refused."""
        with pytest.raises(TranslationError, match="AmountTax"):
            distribute([line("100")], amount_excl=D("100.00"), amount_tax=D("9.00"),
                       amount_incl=D("109.00"))

    def test_vat_on_zero_rate_is_refused(self) -> None:
        """HostFact saying there is VAT on 0% lines is not an invoice we can book."""
        with pytest.raises(TranslationError):
            distribute([line("100", tax="0")], amount_excl=D("100.00"), amount_tax=D("0.01"),
                       amount_incl=D("100.01"))

    def test_no_lines_is_refused(self) -> None:
        """An invoice without lines cannot become an entry."""
        with pytest.raises(TranslationError, match="no lines"):
            distribute([], amount_excl=D("0"), amount_tax=D("0"), amount_incl=D("0"))

    def test_inconsistent_used_taxrates_fall_back_to_computed_targets(self) -> None:
        """UsedTaxrates that do not add up to the invoice totals are ignored, not trusted."""
        used = {D(21): RateTotal(D("99.00"), D("20.79"))}
        d = distribute([line("100")], amount_excl=D("100.00"), amount_tax=D("21.00"),
                       amount_incl=D("121.00"), used_taxrates=used)
        assert d.lines[0].vat == D("21.00")


# --- properties --------------------------------------------------------------------------

prices = st.decimals(min_value=D("-500"), max_value=D("500"), places=4,
                     allow_nan=False, allow_infinity=False)
numbers = st.sampled_from([D(1), D(2), D(3), D("0.5"), D("1.5"), D(12), D(24)])
rates = st.sampled_from([D(21), D(9), D(0)])
discounts = st.sampled_from([D(0), D(0), D(5), D("12.5"), D(50)])
line_inputs = st.builds(LineInput, price_excl=prices, number=numbers, tax_percentage=rates,
                        discount_percentage=discounts)


def hostfact_totals(
    lines: list[LineInput], invoice_discount: D
) -> tuple[D, D, dict[D, RateTotal]]:
    """Totals the way HostFact computes them: per rate, discount and VAT over the rate total."""
    per_rate: dict[D, D] = {}
    for ln in lines:
        net = cents(ln.price_excl * ln.number * (1 - ln.discount_percentage / 100))
        per_rate[ln.tax_percentage] = per_rate.get(ln.tax_percentage, D(0)) + net
    used = {}
    for rate, total in per_rate.items():
        excl = cents(total * (1 - invoice_discount / 100))
        used[rate] = RateTotal(excl, cents(excl * rate / 100))
    excl = sum((u.amount_excl for u in used.values()), D(0))
    tax = sum((u.amount_tax for u in used.values()), D(0))
    return excl, tax, used


class TestDistributionProperties:
    @settings(max_examples=300, deadline=None)
    @given(st.lists(line_inputs, min_size=1, max_size=12), discounts, st.booleans())
    def test_sums_equal_hostfact_totals_exactly(
        self, lines: list[LineInput], invoice_discount: D, with_buckets: bool
    ) -> None:
        """Whatever the lines, the Exact lines add up to AmountExcl and AmountTax exactly."""
        excl, tax, used = hostfact_totals(lines, invoice_discount)
        d = distribute(lines, amount_excl=excl, amount_tax=tax, amount_incl=excl + tax,
                       invoice_discount=invoice_discount,
                       used_taxrates=used if with_buckets else None)
        assert sum((x.amount for x in d.lines), D(0)) == excl
        assert sum((x.vat for x in d.lines), D(0)) == tax
        if with_buckets:  # HostFact's per-rate figures are then matched rate by rate too
            for rate, bucket in used.items():
                mine = [x for x in d.lines if x.tax_percentage == rate]
                assert sum((x.vat for x in mine), D(0)) == bucket.amount_tax
                assert sum((x.amount for x in mine), D(0)) == bucket.amount_excl

    @settings(max_examples=300, deadline=None)
    @given(st.lists(line_inputs, min_size=1, max_size=12), discounts)
    def test_every_line_stays_within_rounding_of_its_own_amount(
        self, lines: list[LineInput], invoice_discount: D
    ) -> None:
        """The adjustment moves a line by at most the rounding slack, never more."""
        excl, tax, used = hostfact_totals(lines, invoice_discount)
        d = distribute(lines, amount_excl=excl, amount_tax=tax, amount_incl=excl + tax,
                       invoice_discount=invoice_discount, used_taxrates=used)
        slack = D("0.01") * (len(lines) + 1)
        for x, ln in zip(d.lines, lines, strict=True):
            assert abs(x.amount - line_net(ln, invoice_discount)) <= slack
            assert abs(x.vat - cents(x.amount * x.tax_percentage / 100)) <= slack
            assert x.amount.as_tuple().exponent == -2
            assert x.vat.as_tuple().exponent == -2

    @settings(max_examples=200, deadline=None)
    @given(st.lists(line_inputs, min_size=1, max_size=8), discounts)
    def test_credit_invoice_is_the_exact_mirror(
        self, lines: list[LineInput], invoice_discount: D
    ) -> None:
        """Negating every price negates every line amount and VAT amount exactly."""
        excl, tax, used = hostfact_totals(lines, invoice_discount)
        neg = [LineInput(-ln.price_excl, ln.number, ln.tax_percentage, ln.discount_percentage)
               for ln in lines]
        neg_used = {r: RateTotal(-u.amount_excl, -u.amount_tax) for r, u in used.items()}
        a = distribute(lines, amount_excl=excl, amount_tax=tax, amount_incl=excl + tax,
                       invoice_discount=invoice_discount, used_taxrates=used)
        b = distribute(neg, amount_excl=-excl, amount_tax=-tax, amount_incl=-excl - tax,
                       invoice_discount=invoice_discount, used_taxrates=neg_used)
        assert [(-x.amount, -x.vat) for x in a.lines] == [(y.amount, y.vat) for y in b.lines]
