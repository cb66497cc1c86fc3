"""Invoice amounts: HostFact's totals, to the cent, spread over Exact entry lines.

HostFact computes a line as ``PriceExcl x Number x (1 - DiscountPercentage/100)``, applies the
invoice ``Discount`` percentage on top and rounds half-up to cents; VAT it computes **per rate
over the rate's total** (``UsedTaxrates``), not per line. Exact adds up whatever the lines say.
So the lines we send must add up to HostFact's totals exactly:

1. every line's amount is computed and rounded as HostFact does;
2. the cents by which the rounded lines miss ``AmountExcl`` (per rate when ``UsedTaxrates`` is
   given) go on the largest line;
3. every line gets ``VATAmountFC = round(amount x rate)``, and the cents by which those miss
   the rate's VAT total go on the largest line of that rate.

A difference larger than rounding can explain (more than a cent per line, plus one) means the
event does not describe one consistent invoice: that is a ``TranslationError``, never a silent
adjustment. ``AmountIncl`` must equal ``AmountExcl + AmountTax``. Money is ``Decimal`` with
``ROUND_HALF_UP`` (which, like PHP's ``round``, rounds ties away from zero, so credit invoices
with negative amounts mirror sales invoices exactly).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hfexact.errors import TranslationError

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def cents(value: Decimal) -> Decimal:
    """Round half-up (away from zero) to two decimals."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def tolerance(count: int) -> Decimal:
    """How far rounding of ``count`` amounts can move a total: a cent each, plus one."""
    return CENT * (count + 1)


@dataclass(frozen=True)
class LineInput:
    """What HostFact says about one invoice line (all Decimal)."""

    price_excl: Decimal
    number: Decimal
    tax_percentage: Decimal
    discount_percentage: Decimal = ZERO


@dataclass(frozen=True)
class RateTotal:
    """One entry of HostFact's ``UsedTaxrates``: the totals of one VAT rate."""

    amount_excl: Decimal
    amount_tax: Decimal


@dataclass(frozen=True)
class LineAmounts:
    """What one Exact line carries: amount excluding VAT and its VAT amount."""

    index: int
    amount: Decimal
    vat: Decimal
    tax_percentage: Decimal


@dataclass(frozen=True)
class Distribution:
    lines: tuple[LineAmounts, ...]
    amount_excl: Decimal
    amount_tax: Decimal
    amount_incl: Decimal


def line_net(line: LineInput, invoice_discount: Decimal = ZERO) -> Decimal:
    """HostFact's line total excluding VAT, after line and invoice discount, in cents."""
    net = cents(line.price_excl * line.number * (1 - line.discount_percentage / HUNDRED))
    if invoice_discount:
        net = cents(net * (1 - invoice_discount / HUNDRED))
    return net


def _largest(indexes: Sequence[int], amounts: Sequence[Decimal]) -> int:
    """The index (among ``indexes``) of the largest amount by size; the first on a tie."""
    best = indexes[0]
    for i in indexes[1:]:
        if abs(amounts[i]) > abs(amounts[best]):
            best = i
    return best


def _money(label: str, value: Decimal) -> str:
    return f"{label} {value:.2f}"


def distribute(
    lines: Sequence[LineInput],
    *,
    amount_excl: Decimal,
    amount_tax: Decimal,
    amount_incl: Decimal,
    invoice_discount: Decimal = ZERO,
    used_taxrates: Mapping[Decimal, RateTotal] | None = None,
    document: str = "invoice",
) -> Distribution:
    """Per-line amounts and VAT whose sums equal HostFact's totals exactly.

    ``used_taxrates`` is keyed by percentage (0-100), e.g. ``Decimal(21)``.
    """
    if not lines:
        raise TranslationError(f"{document} has no lines")
    if amount_excl + amount_tax != amount_incl:
        raise TranslationError(
            f"{document}: AmountIncl {amount_incl:.2f} is not AmountExcl {amount_excl:.2f} "
            f"+ AmountTax {amount_tax:.2f}"
        )
    amounts = [line_net(line, invoice_discount) for line in lines]
    rates = [line.tax_percentage for line in lines]
    by_rate: dict[Decimal, list[int]] = {}
    for i, rate in enumerate(rates):
        by_rate.setdefault(rate, []).append(i)

    buckets = _usable_buckets(used_taxrates, by_rate, amount_excl, amount_tax)
    if buckets is not None:
        for rate, idx in by_rate.items():
            _settle(amounts, idx, buckets[rate].amount_excl, document, f"{rate}% amount")
    else:
        _settle(amounts, list(range(len(lines))), amount_excl, document, "AmountExcl")

    tax_targets = (
        {rate: b.amount_tax for rate, b in buckets.items()}
        if buckets is not None
        else _rate_tax_targets(amounts, by_rate, amount_tax, document)
    )
    for rate, target in tax_targets.items():
        if not rate and target:
            raise TranslationError(
                f"{document}: HostFact reports {target:.2f} VAT on the 0% lines"
            )
    vats = [cents(amounts[i] * rates[i] / HUNDRED) for i in range(len(lines))]
    for rate, idx in by_rate.items():
        _settle(vats, idx, tax_targets[rate], document, f"{rate}% VAT", weights=amounts)

    out = tuple(
        LineAmounts(index=i, amount=amounts[i], vat=vats[i], tax_percentage=rates[i])
        for i in range(len(lines))
    )
    return Distribution(
        lines=out, amount_excl=amount_excl, amount_tax=amount_tax, amount_incl=amount_incl
    )


def _settle(
    values: list[Decimal],
    idx: Sequence[int],
    target: Decimal,
    document: str,
    what: str,
    *,
    weights: Sequence[Decimal] | None = None,
) -> None:
    """Move the rounding difference to ``target`` onto the largest line; refuse a real gap."""
    diff = target - sum((values[i] for i in idx), ZERO)
    if not diff:
        return
    if abs(diff) > tolerance(len(idx)):
        raise TranslationError(
            f"{document}: the lines add up to {sum((values[i] for i in idx), ZERO):.2f} "
            f"but HostFact's {what} is {target:.2f}; a difference of {diff:.2f} is more than "
            f"rounding can explain",
            hint="check the invoice lines and totals in HostFact",
        )
    at = _largest(idx, weights if weights is not None else values)
    values[at] += diff


def _usable_buckets(
    used: Mapping[Decimal, RateTotal] | None,
    by_rate: Mapping[Decimal, list[int]],
    amount_excl: Decimal,
    amount_tax: Decimal,
) -> dict[Decimal, RateTotal] | None:
    """HostFact's per-rate totals when they describe this invoice, else None.

    They are used when they cover exactly the rates on the lines (zero buckets aside) and add
    up to the invoice totals; otherwise the per-rate figures are derived from the lines.
    """
    if not used:
        return None
    buckets = {
        rate: total
        for rate, total in used.items()
        if rate in by_rate or total.amount_excl or total.amount_tax
    }
    if set(buckets) != set(by_rate):
        return None
    if sum((b.amount_excl for b in buckets.values()), ZERO) != amount_excl:
        return None
    if sum((b.amount_tax for b in buckets.values()), ZERO) != amount_tax:
        return None
    return buckets


def _rate_tax_targets(
    amounts: Sequence[Decimal],
    by_rate: Mapping[Decimal, list[int]],
    amount_tax: Decimal,
    document: str,
) -> dict[Decimal, Decimal]:
    """VAT per rate as HostFact computes it: round(rate total x rate), then fit AmountTax."""
    targets = {
        rate: cents(sum((amounts[i] for i in idx), ZERO) * rate / HUNDRED)
        for rate, idx in by_rate.items()
    }
    diff = amount_tax - sum(targets.values(), ZERO)
    if not diff:
        return targets
    taxed = [rate for rate in targets if rate]
    if not taxed or abs(diff) > tolerance(len(taxed)):
        raise TranslationError(
            f"{document}: VAT per rate adds up to {sum(targets.values(), ZERO):.2f} but "
            f"HostFact's AmountTax is {amount_tax:.2f}",
            hint="check the VAT percentages of the lines in HostFact",
        )
    biggest = max(
        taxed, key=lambda r: abs(sum((amounts[i] for i in by_rate[r]), ZERO))
    )
    targets[biggest] += diff
    return targets


def rates_from_fractions(used: Mapping[str, RateTotal]) -> dict[Decimal, RateTotal]:
    """HostFact keys ``UsedTaxrates`` by fraction (``"0.21"``); we key by percentage."""
    return {Decimal(str(k)) * HUNDRED: v for k, v in used.items()}
