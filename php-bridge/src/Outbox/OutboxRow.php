<?php

declare(strict_types=1);

namespace HostFactExact\Outbox;

use HostFactExact\Support\Json;

/** One committed outbox row, as the relay reads it. */
final class OutboxRow
{
    /** @param array<string, mixed> $params */
    public function __construct(
        public readonly int $id,
        public readonly string $eventId,
        public readonly string $eventType,
        public readonly string $entity,
        public readonly string $entityId,
        public readonly array $params,
        public readonly string $occurredAt,
        public readonly int $attempts,
        public readonly int $createdAt,
    ) {
    }

    /** @param array<string, mixed> $row */
    public static function fromRow(array $row): self
    {
        return new self(
            (int) $row['id'],
            (string) $row['event_id'],
            (string) $row['event_type'],
            (string) $row['entity'],
            (string) $row['entity_id'],
            Json::decodeObject((string) $row['params']),
            (string) $row['occurred_at'],
            (int) $row['attempts'],
            (int) $row['created_at'],
        );
    }
}
