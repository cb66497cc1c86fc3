<?php

declare(strict_types=1);

namespace HostFactExact\Outbox;

use DateTimeImmutable;
use DateTimeInterface;
use HostFactExact\Db\Database;
use HostFactExact\Support\Uuid;

/**
 * The transactional outbox (hfexact_outbox).
 *
 * Writers (hooks, pollers, settings page, backfill) add rows; the event id and time are fixed at
 * write time, so a row published twice after a crash carries the same message id. A dedupe key
 * (e.g. "invoice.issued:9300") makes a second write of the same fact a no-op.
 * Status: pending -> sent | gone (record no longer exists) | skipped (switched off / already exported).
 *
 * A hook writes through HostFact's own connection (Database::borrow): the row then belongs to
 * whatever transaction HostFact has open, so it commits or rolls back with HostFact's change.
 * params are stored as ASCII JSON (\u escapes), whatever the connection's character set.
 */
final class Outbox implements OutboxWriter
{
    public const PENDING = 'pending';
    public const SENT = 'sent';
    public const GONE = 'gone';
    public const SKIPPED = 'skipped';

    private ?\PDOStatement $insert = null;

    public function __construct(private readonly Database $db)
    {
    }

    public function db(): Database
    {
        return $this->db;
    }

    /**
     * @param array<string, mixed> $params ids and facts only; the relay reads the record itself
     * @return bool false when the dedupe key already existed
     */
    public function record(
        string $eventType,
        string $entity,
        string $entityId,
        array $params = [],
        ?string $dedupeKey = null,
        ?string $eventId = null,
        ?DateTimeInterface $occurredAt = null,
    ): bool {
        $this->insert ??= $this->db->prepare($this->db->insertIgnoringDuplicates(
            'hfexact_outbox',
            ['event_id', 'event_type', 'entity', 'entity_id', 'dedupe_key', 'params', 'occurred_at', 'status', 'created_at'],
            'id',
        ));
        Database::execute($this->insert, [
            $eventId ?? Uuid::v4(),
            $eventType,
            $entity,
            $entityId,
            $dedupeKey,
            json_encode((object) $params, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION),
            ($occurredAt ?? new DateTimeImmutable())->format(DateTimeInterface::ATOM),
            self::PENDING,
            time(),
        ]);
        return $this->insert->rowCount() === 1;
    }

    public function hasKey(string $dedupeKey): bool
    {
        return $this->db->one('SELECT 1 FROM hfexact_outbox WHERE dedupe_key = ?', [$dedupeKey]) !== null;
    }

    /** @return list<OutboxRow> pending rows due now, oldest first */
    public function due(int $limit, ?int $now = null): array
    {
        $rows = $this->db->all(
            'SELECT * FROM hfexact_outbox WHERE status = ? AND next_attempt_at <= ? ORDER BY id LIMIT ' . max(1, $limit),
            [self::PENDING, $now ?? time()],
        );
        return array_map([OutboxRow::class, 'fromRow'], $rows);
    }

    /** @param list<int> $ids */
    public function markSent(array $ids): void
    {
        if ($ids === []) {
            return;
        }
        $marks = implode(', ', array_fill(0, count($ids), '?'));
        $this->db->run(
            "UPDATE hfexact_outbox SET status = ?, sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id IN ($marks) AND status = ?",
            array_merge([self::SENT, time()], $ids, [self::PENDING]),
        );
    }

    /** Stays pending; tried again at $retryAt. */
    public function markRetry(int $id, string $error, int $retryAt): void
    {
        $this->db->run(
            'UPDATE hfexact_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?',
            [mb_substr($error, 0, 2000), $retryAt, $id],
        );
    }

    /** Final: gone or skipped, with the reason; never retried. */
    public function markFinal(int $id, string $status, string $reason): void
    {
        $this->db->run(
            'UPDATE hfexact_outbox SET status = ?, last_error = ?, attempts = attempts + 1 WHERE id = ? AND status = ?',
            [$status, mb_substr($reason, 0, 2000), $id, self::PENDING],
        );
    }

    public function backlog(): int
    {
        return (int) $this->db->run('SELECT COUNT(*) FROM hfexact_outbox WHERE status = ?', [self::PENDING])->fetchColumn();
    }

    public function lastSentAt(): ?int
    {
        $value = $this->db->run('SELECT MAX(sent_at) FROM hfexact_outbox WHERE status = ?', [self::SENT])->fetchColumn();
        return $value === null || $value === false ? null : (int) $value;
    }

    /** @return array<string, int> count per status */
    public function counts(): array
    {
        $out = [];
        foreach ($this->db->all('SELECT status, COUNT(*) AS n FROM hfexact_outbox GROUP BY status') as $row) {
            $out[(string) $row['status']] = (int) $row['n'];
        }
        return $out;
    }
}
