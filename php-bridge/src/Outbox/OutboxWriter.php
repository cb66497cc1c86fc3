<?php

declare(strict_types=1);

namespace HostFactExact\Outbox;

use DateTimeInterface;

/** Where hooks write: the outbox table, or the spool when the database is unreachable. */
interface OutboxWriter
{
    /** @param array<string, mixed> $params */
    public function record(
        string $eventType,
        string $entity,
        string $entityId,
        array $params = [],
        ?string $dedupeKey = null,
        ?string $eventId = null,
        ?DateTimeInterface $occurredAt = null,
    ): bool;

    public function hasKey(string $dedupeKey): bool;
}
