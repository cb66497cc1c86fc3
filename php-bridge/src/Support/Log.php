<?php

declare(strict_types=1);

namespace HostFactExact\Support;

/**
 * One JSON line per event, dotted past-tense names (`outbox.published`), to STDERR in the CLI and
 * to PHP's error_log inside HostFact. E-mail addresses, IBANs and phone numbers are redacted;
 * the AMQP password never reaches a log (AmqpEndpoint::describe()).
 */
final class Log
{
    /** @var (callable(string): void)|null */
    private static $sink = null;

    /** @param callable(string): void|null $sink tests capture lines here */
    public static function sendTo(?callable $sink): void
    {
        self::$sink = $sink;
    }

    /** @param array<string, mixed> $context */
    public static function info(string $event, array $context = []): void
    {
        self::write('info', $event, $context);
    }

    /** @param array<string, mixed> $context */
    public static function error(string $event, array $context = []): void
    {
        self::write('error', $event, $context);
    }

    public static function redact(string $text): string
    {
        $text = (string) preg_replace('/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/', '[email]', $text);
        $text = (string) preg_replace('/\b[A-Z]{2}\d{2}[A-Z0-9]{4}\d{7,}\b/', '[iban]', $text);
        return (string) preg_replace('/(?<![\w.:-])(\+\d{2}|00\d{2}|0)[ -]?\d{1,3}[ -]?\d{3,4}[ -]?\d{2,4}(?![\w.:-])/', '[phone]', $text);
    }

    /** @param array<string, mixed> $context */
    private static function write(string $level, string $event, array $context): void
    {
        $line = self::redact(json_encode(
            ['ts' => date('c'), 'level' => $level, 'event' => $event] + $context,
            JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR,
        ) ?: $event);
        if (self::$sink !== null) {
            (self::$sink)($line);
        } elseif (PHP_SAPI === 'cli' && defined('STDERR')) {
            fwrite(STDERR, $line . "\n");
        } else {
            error_log($line);
        }
    }
}
