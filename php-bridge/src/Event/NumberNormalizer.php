<?php

declare(strict_types=1);

namespace HostFactExact\Event;

use HostFactExact\Support\Decimal;

/**
 * Turns every number in a HostFact object into a decimal string, keeping the object's shape.
 *
 * HostFact mixes strings and numbers ("AmountIncl":"2688.62" next to "NoDiscountAmountIncl":2688.62,
 * "TaxPercentage":21, "Identifier":318661). The contract wants decimal strings only:
 *  - totals and line amounts (every key starting with Amount/NoDiscountAmount/DiscountAmount, `Amount`,
 *    `Private`, `Total`) with exactly two decimals, also when HostFact sent them as strings;
 *  - everything else (prices, quantities, percentages, ids) with the digits HostFact gave.
 * Non-numeric strings, booleans and null stay as they are; so do array keys ("0.21" in UsedTaxrates).
 */
final class NumberNormalizer
{
    private const MONEY_KEY = '/^(Amount|NoDiscountAmount|DiscountAmount|Total)|^Private$/';

    /**
     * @param array<mixed> $object
     * @return array<mixed>
     */
    public function normalize(array $object): array
    {
        $out = [];
        foreach ($object as $key => $value) {
            $out[$key] = $this->value(is_string($key) ? $key : null, $value);
        }
        return $out;
    }

    private function value(?string $key, mixed $value): mixed
    {
        if (is_array($value)) {
            return $this->normalize($value);
        }
        $money = $key !== null && preg_match(self::MONEY_KEY, $key) === 1;
        if (is_int($value) || is_float($value)) {
            $text = is_int($value) ? (string) $value : Decimal::floatToString($value);
            return $money ? Decimal::of($text)->round(2)->toString() : $text;
        }
        if ($money && is_string($value) && Decimal::isDecimal($value)) {
            return Decimal::of($value)->round(2)->toString();
        }
        return $value;
    }
}
