<?php

declare(strict_types=1);

namespace HostFactExact\Support;

use InvalidArgumentException;

/**
 * An exact decimal number (integer mantissa and scale), for money and quantities.
 *
 * PHP's float cannot hold 0.1 exactly and bcmath is not part of the base install, so the bridge
 * computes on integers: 12.34 is mantissa 1234 with scale 2. Values stay far below 2^63.
 */
final class Decimal
{
    private function __construct(private readonly int $mantissa, private readonly int $scale)
    {
    }

    public static function of(string|int|float $value): self
    {
        if (is_int($value)) {
            return new self($value, 0);
        }
        if (is_float($value)) {
            return self::of(self::floatToString($value));
        }
        $value = trim($value);
        if (preg_match('/^([+-]?)(\d*)(?:\.(\d*))?$/', $value, $m) !== 1 || ($m[2] === '' && ($m[3] ?? '') === '')) {
            throw new InvalidArgumentException(sprintf('not a decimal number: "%s"', $value));
        }
        $fraction = $m[3] ?? '';
        $digits = ltrim($m[2] . $fraction, '0');
        if (strlen($digits) > 18) {
            throw new InvalidArgumentException(sprintf('decimal number too large: "%s"', $value));
        }
        $mantissa = (int) ($digits === '' ? '0' : $digits);
        return new self($m[1] === '-' ? -$mantissa : $mantissa, strlen($fraction));
    }

    public static function isDecimal(string $value): bool
    {
        return preg_match('/^[+-]?(\d+(\.\d*)?|\.\d+)$/', trim($value)) === 1;
    }

    /** Shortest decimal text that reads back as the same float, never in exponent notation. */
    public static function floatToString(float $value): string
    {
        if (!is_finite($value)) {
            throw new InvalidArgumentException('not a finite number');
        }
        $text = var_export($value, true);
        if (stripos($text, 'e') !== false) {
            $text = rtrim(rtrim(number_format($value, 17, '.', ''), '0'), '.');
        }
        if (str_ends_with($text, '.0')) {
            $text = substr($text, 0, -2);
        }
        return $text === '-0' ? '0' : $text;
    }

    public function scale(): int
    {
        return $this->scale;
    }

    public function add(self $other): self
    {
        [$a, $b, $scale] = $this->align($other);
        return new self($a + $b, $scale);
    }

    public function sub(self $other): self
    {
        [$a, $b, $scale] = $this->align($other);
        return new self($a - $b, $scale);
    }

    public function mul(self $other): self
    {
        return new self($this->mantissa * $other->mantissa, $this->scale + $other->scale);
    }

    /** Move the decimal point: shift(-2) turns 21 into 0.21 (percent to fraction), exactly. */
    public function shift(int $places): self
    {
        if ($places >= 0) {
            return new self($this->mantissa * 10 ** $places, $this->scale);
        }
        return new self($this->mantissa, $this->scale - $places);
    }

    /** The same value without trailing zeros in the fraction ("21.00" -> "21", "0.210" -> "0.21"). */
    public function trimmed(): self
    {
        $mantissa = $this->mantissa;
        $scale = $this->scale;
        while ($scale > 0 && $mantissa % 10 === 0) {
            $mantissa = intdiv($mantissa, 10);
            $scale--;
        }
        return new self($mantissa, $scale);
    }

    public function negate(): self
    {
        return new self(-$this->mantissa, $this->scale);
    }

    /** Round half away from zero to $places decimals (what HostFact and Exact do for money). */
    public function round(int $places): self
    {
        if ($places >= $this->scale) {
            return new self($this->mantissa * 10 ** ($places - $this->scale), $places);
        }
        $factor = 10 ** ($this->scale - $places);
        $abs = intdiv(abs($this->mantissa) + intdiv($factor, 2), $factor);
        return new self($this->mantissa < 0 ? -$abs : $abs, $places);
    }

    public function compare(self $other): int
    {
        [$a, $b] = $this->align($other);
        return $a <=> $b;
    }

    public function isZero(): bool
    {
        return $this->mantissa === 0;
    }

    public function isNegative(): bool
    {
        return $this->mantissa < 0;
    }

    /** Text with exactly the scale it carries ("12.50" stays "12.50"). */
    public function toString(): string
    {
        $abs = (string) abs($this->mantissa);
        if ($this->scale > 0) {
            $abs = str_pad($abs, $this->scale + 1, '0', STR_PAD_LEFT);
            $abs = substr($abs, 0, -$this->scale) . '.' . substr($abs, -$this->scale);
        }
        return ($this->mantissa < 0 ? '-' : '') . $abs;
    }

    public function __toString(): string
    {
        return $this->toString();
    }

    /** @return array{int, int, int} */
    private function align(self $other): array
    {
        $scale = max($this->scale, $other->scale);
        return [
            $this->mantissa * 10 ** ($scale - $this->scale),
            $other->mantissa * 10 ** ($scale - $other->scale),
            $scale,
        ];
    }
}
