<?php

declare(strict_types=1);

namespace HostFactExact\Hook;

use DateTimeImmutable;
use DateTimeInterface;
use HostFactExact\Outbox\OutboxWriter;
use HostFactExact\Support\Uuid;

/**
 * Collects the rows a hook would write while the database is unreachable, for the spool.
 * It cannot see the outbox, so hasKey() answers false: dedupe happens when the relay drains the
 * spool into the table (same keys), and invoice edits during a database outage are not recorded.
 */
final class SpoolingOutbox implements OutboxWriter
{
    /** @var list<array<string, mixed>> */
    public array $rows = [];

    public function record(
        string $eventType,
        string $entity,
        string $entityId,
        array $params = [],
        ?string $dedupeKey = null,
        ?string $eventId = null,
        ?DateTimeInterface $occurredAt = null,
    ): bool {
        $this->rows[] = [
            'event_id' => $eventId ?? Uuid::v4(),
            'event_type' => $eventType,
            'entity' => $entity,
            'entity_id' => $entityId,
            'params' => $params,
            'dedupe_key' => $dedupeKey,
            'occurred_at' => ($occurredAt ?? new DateTimeImmutable())->format(DateTimeInterface::ATOM),
        ];
        return true;
    }

    public function hasKey(string $dedupeKey): bool
    {
        return false;
    }
}
