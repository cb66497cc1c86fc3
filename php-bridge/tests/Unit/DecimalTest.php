<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Unit;

use HostFactExact\Support\Decimal;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

final class DecimalTest extends TestCase
{
    /** Rounding is half away from zero, on the exact decimal, not on a float. */
    public function testRoundsHalfAwayFromZero(): void
    {
        self::assertSame('1.01', Decimal::of('1.005')->round(2)->toString());
        self::assertSame('-1.01', Decimal::of('-1.005')->round(2)->toString());
        self::assertSame('2222.00', Decimal::of('2222')->round(2)->toString());
        self::assertSame('0.30', Decimal::of('0.1')->add(Decimal::of('0.2'))->round(2)->toString());
    }

    /** Floats become their shortest decimal text, without exponents. */
    public function testFloatText(): void
    {
        self::assertSame('2688.62', Decimal::floatToString(2688.62));
        self::assertSame('2222', Decimal::floatToString(2222.0));
        self::assertSame('0.00001', Decimal::floatToString(0.00001));
        self::assertSame('0', Decimal::floatToString(-0.0));
    }

    /** Arithmetic and comparison are exact. */
    public function testArithmetic(): void
    {
        self::assertSame('121.0000', Decimal::of('100.00')->mul(Decimal::of('1.21'))->toString());
        self::assertSame(0, Decimal::of('1.50')->compare(Decimal::of('1.5')));
        self::assertSame(-1, Decimal::of('-0.01')->compare(Decimal::of('0')));
        self::assertSame('-60.50', Decimal::of('60.50')->negate()->toString());
    }

    /** Text that is not a number is refused with the value in the message. */
    public function testRejectsGarbage(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('"12,50"');
        Decimal::of('12,50');
    }
}
