<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Support;

use HostFactExact\Support\Uuid;

/** Result envelopes as the Python side sends them (source.system = hfexact). */
final class Results
{
    /** @param array<string, mixed> $data */
    public static function envelope(string $type, array $data, ?string $id = null): array
    {
        return [
            'id' => $id ?? Uuid::v4(),
            'type' => $type,
            'version' => 1,
            'occurred_at' => date('c'),
            'source' => ['system' => 'hfexact', 'installation' => 'hf-test'],
            'data' => $data,
            'related' => new \stdClass(),
        ];
    }

    public static function matched(string $id, string $code, string $amount, string $date = '2026-12-01'): array
    {
        return self::envelope('payment.matched', ['kind' => 'sales', 'hostfact_id' => $id, 'invoice_code' => $code, 'amount' => $amount, 'pay_date' => $date, 'division' => '123456']);
    }

    public static function partial(string $id, string $code, string $amount, string $open, string $date = '2026-12-01'): array
    {
        return self::envelope('payment.partial', ['kind' => 'sales', 'hostfact_id' => $id, 'invoice_code' => $code, 'amount' => $amount, 'amount_open' => $open, 'pay_date' => $date, 'division' => '123456']);
    }

    public static function reopened(string $id, string $code, string $open): array
    {
        return self::envelope('payment.reopened', ['kind' => 'sales', 'hostfact_id' => $id, 'invoice_code' => $code, 'amount_open' => $open, 'reason' => 'unmatched in Exact', 'division' => '123456']);
    }
}
