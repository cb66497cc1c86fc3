<?php

declare(strict_types=1);

namespace HostFactExact\Hook;

/**
 * Marks the bridge's own write-backs (markaspaid, partpayment, markasunpaid) while they run.
 *
 * internalAPI() fires invoice_is_paid & co. synchronously in the same PHP process, so the hook sees
 * the mark and records nothing: the echo of a payment that came from Exact is not exported again.
 */
final class WriteBackGuard
{
    /** @var array<string, true> invoice id -> writing back */
    private static array $active = [];

    /**
     * @template T
     * @param callable(): T $work
     * @return T
     */
    public static function during(string $invoiceId, callable $work): mixed
    {
        self::$active[$invoiceId] = true;
        try {
            return $work();
        } finally {
            unset(self::$active[$invoiceId]);
        }
    }

    public static function isWritingBack(string $invoiceId): bool
    {
        return isset(self::$active[$invoiceId]);
    }
}
