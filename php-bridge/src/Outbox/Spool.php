<?php

declare(strict_types=1);

namespace HostFactExact\Outbox;

use HostFactExact\Support\Json;
use HostFactExact\Support\Log;
use Throwable;

/**
 * Last resort when a hook cannot reach the database: the outbox row goes to a local file
 * (one JSON line each, appended under an exclusive lock) and the relay moves it into the outbox
 * later. So a dead database loses no event and breaks no request.
 */
final class Spool
{
    public function __construct(private readonly string $dir)
    {
    }

    /** @param array<string, mixed> $row the arguments of Outbox::record plus event_id/occurred_at */
    public function append(array $row): bool
    {
        if (!is_dir($this->dir) && !@mkdir($this->dir, 0770, true) && !is_dir($this->dir)) {
            return false;
        }
        return @file_put_contents($this->dir . '/outbox.jsonl', Json::encode($row) . "\n", FILE_APPEND | LOCK_EX) !== false;
    }

    /** Moves spooled rows into the outbox (dedupe keys and event ids keep it idempotent). */
    public function drainInto(Outbox $outbox): int
    {
        $file = $this->dir . '/outbox.jsonl';
        if (!is_file($file)) {
            return 0;
        }
        $claimed = $this->dir . '/outbox.' . getmypid() . '.' . bin2hex(random_bytes(4)) . '.draining';
        if (!@rename($file, $claimed)) {
            return 0;
        }
        $moved = 0;
        $lines = file($claimed, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [];
        foreach ($lines as $line) {
            try {
                $row = Json::decodeObject($line);
                $outbox->record(
                    (string) $row['event_type'],
                    (string) $row['entity'],
                    (string) $row['entity_id'],
                    (array) $row['params'],
                    isset($row['dedupe_key']) ? (string) $row['dedupe_key'] : null,
                    (string) $row['event_id'],
                    new \DateTimeImmutable((string) $row['occurred_at']),
                );
                $moved++;
            } catch (Throwable $e) {
                if (str_contains($e->getMessage(), 'UNIQUE') || str_contains($e->getMessage(), 'Duplicate')) {
                    continue; // already moved by an earlier, interrupted drain
                }
                // put the remainder back for the next run
                @file_put_contents($this->dir . '/outbox.jsonl', implode("\n", array_slice($lines, $moved)) . "\n", FILE_APPEND | LOCK_EX);
                Log::error('spool.drain_failed', ['error' => $e->getMessage()]);
                @unlink($claimed);
                return $moved;
            }
        }
        @unlink($claimed);
        if ($moved > 0) {
            Log::info('spool.drained', ['rows' => $moved]);
        }
        return $moved;
    }
}
