<?php

declare(strict_types=1);

namespace HostFactExact\Relay;

use HostFactExact\Amqp\ConfirmingPublisher;
use HostFactExact\Db\State;
use HostFactExact\Event\EventFactory;
use HostFactExact\Event\EventType;
use HostFactExact\Exception\HostFactError;
use HostFactExact\Exception\PublishFailed;
use HostFactExact\Exception\RecordGone;
use HostFactExact\Exception\RowSkipped;
use HostFactExact\Outbox\Outbox;
use HostFactExact\Outbox\OutboxRow;
use HostFactExact\Outbox\Spool;
use HostFactExact\Settings\SettingsRepository;
use HostFactExact\Support\Log;
use Throwable;

/**
 * Outbox -> RabbitMQ. Reads due rows in id order, enriches each through internalAPI, publishes the
 * batch with confirms + mandatory, and marks a row sent only after its confirm. Broker down: rows
 * stay pending untouched and the next run publishes them, in order, with the same message ids.
 */
final class Relay
{
    public const MAX_BODY_BYTES = 1_048_576;

    /** Event types booked once in Exact, with their hfexact_exported kind (HostFact_ExportHistory import). */
    private const BOOKED_ONCE = [
        EventType::INVOICE_ISSUED => 'invoice',
        EventType::PURCHASE_INVOICE_RECEIVED => 'purchase_invoice',
        EventType::SDD_BATCH_DOWNLOADED => 'sdd_batch',
    ];

    public function __construct(
        private readonly Outbox $outbox,
        private readonly Enricher $enricher,
        private readonly ConfirmingPublisher $publisher,
        private readonly SettingsRepository $settings,
        private readonly State $state,
        private readonly ?Pollers $pollers = null,
        private readonly ?Spool $spool = null,
        private readonly int $batchSize = 100,
        private readonly int $goneGraceSeconds = 120,
    ) {
    }

    /**
     * One pass: spool -> outbox, pollers, then publish until nothing is due or the broker fails.
     *
     * @return array{published: int, gone: int, skipped: int, retried: int, polled: int, spooled: int, broker_down: bool, error: string}
     */
    public function runOnce(bool $poll = true, int $maxBatches = 1000): array
    {
        $stats = ['published' => 0, 'gone' => 0, 'skipped' => 0, 'retried' => 0, 'polled' => 0, 'spooled' => 0, 'broker_down' => false, 'error' => ''];
        if ($this->spool !== null) {
            $stats['spooled'] = $this->spool->drainInto($this->outbox);
        }
        if ($poll && $this->pollers !== null) {
            try {
                $stats['polled'] = array_sum($this->pollers->poll());
            } catch (Throwable $e) {
                Log::error('relay.poll_failed', ['error' => $e->getMessage()]);
            }
        }
        for ($batch = 0; $batch < $maxBatches; $batch++) {
            $rows = $this->outbox->due($this->batchSize);
            if ($rows === []) {
                break;
            }
            $this->enricher->forgetCaches();
            try {
                $this->publishBatch($rows, $stats);
            } catch (PublishFailed $e) {
                $stats['broker_down'] = true;
                $stats['error'] = $e->getMessage();
                Log::error('relay.broker_unavailable', ['error' => $e->getMessage(), 'backlog' => $this->outbox->backlog()]);
                break;
            }
        }
        if ($stats['published'] > 0) {
            $this->state->set('relay.last_publish', date('c'));
        }
        return $stats;
    }

    /**
     * @param list<OutboxRow> $rows
     * @param array<string, mixed> $stats
     */
    private function publishBatch(array $rows, array &$stats): void
    {
        $messages = [];
        $rowByMessage = [];
        try {
            $settings = $this->settings->current(); // once per batch, not once per row
        } catch (Throwable) {
            $settings = null; // each row reads them again and fails (and is retried) on its own, as before
        }
        foreach ($rows as $row) {
            $body = $this->prepare($row, $settings, $stats);
            if ($body === null) {
                continue;
            }
            $messages[] = ['id' => $row->eventId, 'type' => $row->eventType, 'body' => $body];
            $rowByMessage[$row->eventId] = $row;
        }
        if ($messages === []) {
            return;
        }
        $result = $this->publisher->publish($messages);
        $sent = [];
        foreach ($result['confirmed'] as $messageId) {
            $sent[] = $rowByMessage[$messageId]->id;
        }
        $this->outbox->markSent($sent);
        $stats['published'] += count($sent);
        foreach ($result['failed'] as $messageId => $why) {
            // due again at once: the next run starts with it, so the order holds
            $this->outbox->markRetry($rowByMessage[$messageId]->id, $why, 0);
            $stats['retried']++;
        }
        if ($sent !== []) {
            Log::info('outbox.published', ['rows' => count($sent), 'last_id' => max($sent)]);
        }
        if ($result['failed'] !== []) {
            throw new PublishFailed(sprintf('%d of %d messages not confirmed: %s', count($result['failed']), count($messages), (string) reset($result['failed'])));
        }
    }

    /**
     * @param array<string, mixed>|null $settings the export settings, read at the start of the batch
     * @param array<string, mixed> $stats
     */
    private function prepare(OutboxRow $row, ?array $settings, array &$stats): ?string
    {
        $kind = EventType::ENTITY[$row->eventType] ?? null;
        try {
            if ($kind !== null && !$this->settings->isEnabled($kind, $settings)) {
                throw new RowSkipped(sprintf('export of %s is switched off', $kind));
            }
            $exportedKind = self::BOOKED_ONCE[$row->eventType] ?? null;
            if ($exportedKind !== null && $this->alreadyExported($exportedKind, $row->entityId)) {
                throw new RowSkipped('already exported by HostFact\'s own accounting export (HostFact_ExportHistory)');
            }
            $body = EventFactory::toJson($this->enricher->envelope($row));
            if (strlen($body) > self::MAX_BODY_BYTES) {
                throw new RowSkipped(sprintf('event body of %d bytes is over the 1 MiB limit', strlen($body)));
            }
            return $body;
        } catch (RowSkipped $e) {
            $this->outbox->markFinal($row->id, Outbox::SKIPPED, $e->getMessage());
            $stats['skipped']++;
            Log::info('outbox.skipped', ['row' => $row->id, 'type' => $row->eventType, 'reason' => $e->getMessage()]);
        } catch (RecordGone $e) {
            if (time() - $row->createdAt >= $this->goneGraceSeconds) {
                $this->outbox->markFinal($row->id, Outbox::GONE, $e->getMessage());
                $stats['gone']++;
                Log::info('outbox.record_gone', ['row' => $row->id, 'type' => $row->eventType, 'entity_id' => $row->entityId]);
            } else {
                // maybe not committed yet (hooks can fire inside HostFact's transaction): look again soon
                $this->outbox->markRetry($row->id, $e->getMessage(), time() + 5);
                $stats['retried']++;
            }
        } catch (HostFactError $e) {
            $this->outbox->markRetry($row->id, $e->getMessage(), time() + self::backoff($row->attempts));
            $stats['retried']++;
            Log::error('outbox.enrich_failed', ['row' => $row->id, 'error' => $e->getMessage()]);
        } catch (Throwable $e) {
            $this->outbox->markRetry($row->id, get_class($e) . ': ' . $e->getMessage(), time() + self::backoff($row->attempts));
            $stats['retried']++;
            Log::error('outbox.build_failed', ['row' => $row->id, 'error' => $e->getMessage()]);
        }
        return null;
    }

    private function alreadyExported(string $kind, string $id): bool
    {
        return $this->outbox->db()->one('SELECT 1 FROM hfexact_exported WHERE kind = ? AND reference_id = ?', [$kind, $id]) !== null;
    }

    /** 5 s, 10 s, 20 s ... capped at one hour. */
    public static function backoff(int $attempts): int
    {
        return (int) min(3600, 5 * (2 ** min(10, $attempts)));
    }
}
