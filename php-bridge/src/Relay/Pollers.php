<?php

declare(strict_types=1);

namespace HostFactExact\Relay;

use HostFactExact\Db\Database;
use HostFactExact\Db\State;
use HostFactExact\Event\EventType;
use HostFactExact\HostFact\HostFactClient;
use HostFactExact\Outbox\Outbox;
use HostFactExact\Results\ResultHandler;

/**
 * What HostFact has no hooks for, found by polling and written to the outbox:
 *  - creditors: creditor/list with modified[from] = cursor  -> creditor.upserted (key id + Modified)
 *  - purchase invoices: creditinvoice/list modified[from]  -> purchase_invoice.received (key id + Modified)
 *  - SDD batches in HostFact_SDD_Batches reaching downloaded (or already processed) -> sdd_batch.downloaded (key BatchID)
 * Cursors live in hfexact_state; the first run only starts them (older records are backfill's job).
 * A cursor is inclusive (HostFact stores seconds), so the same second is seen twice: the dedupe
 * keys make that harmless.
 */
final class Pollers
{
    public const CREDITOR_CURSOR = 'poll.creditor.modified';
    public const PURCHASE_CURSOR = 'poll.creditinvoice.modified';
    public const SDD_CURSOR = 'poll.sdd.downloaded_since';

    public function __construct(
        private readonly HostFactClient $hostfact,
        private readonly Database $db,
        private readonly Outbox $outbox,
        private readonly State $state,
    ) {
    }

    /** Starts every cursor at $now unless it exists (install.php calls this). */
    public function startCursors(string $now): void
    {
        foreach ([self::CREDITOR_CURSOR, self::PURCHASE_CURSOR, self::SDD_CURSOR] as $name) {
            if ($this->state->get($name) === null) {
                $this->state->set($name, $now);
            }
        }
    }

    /** @return array{creditors: int, purchase_invoices: int, sdd_batches: int} rows written */
    public function poll(): array
    {
        return [
            'creditors' => $this->modified('creditor', self::CREDITOR_CURSOR, EventType::CREDITOR_UPSERTED, 'creditor'),
            'purchase_invoices' => $this->modified('creditinvoice', self::PURCHASE_CURSOR, EventType::PURCHASE_INVOICE_RECEIVED, 'creditinvoice'),
            'sdd_batches' => $this->sddBatches(),
        ];
    }

    private function modified(string $controller, string $cursorName, string $type, string $entity): int
    {
        $cursor = $this->state->get($cursorName);
        if ($cursor === null) {
            $this->state->set($cursorName, date('Y-m-d H:i:s'));
            return 0;
        }
        $written = 0;
        $newest = $cursor;
        foreach ($this->hostfact->list($controller, ['modified' => ['from' => $cursor], 'sort' => 'Modified', 'order' => 'ASC']) as $item) {
            $modified = (string) ($item['Modified'] ?? '');
            if ($controller === 'creditinvoice' && (string) ($item['Status'] ?? '') === '0') {
                continue; // not received yet: comes back when it changes
            }
            $id = (string) $item['Identifier'];
            if ($controller === 'creditinvoice'
                && $this->state->get(ResultHandler::writeBackKey($id)) === $modified) {
                continue; // the echo of our own markaspaid/partpayment, not an edit
            }
            if ($this->outbox->record($type, $entity, $id, ['poller' => $controller, 'Modified' => $modified], "$type:$id:$modified")) {
                $written++;
            }
            if ($modified > $newest) {
                $newest = $modified;
            }
        }
        if ($newest !== $cursor) {
            $this->state->set($cursorName, $newest);
        }
        return $written;
    }

    private function sddBatches(): int
    {
        $since = $this->state->get(self::SDD_CURSOR);
        if ($since === null) {
            $this->state->set(self::SDD_CURSOR, date('Y-m-d H:i:s'));
            return 0;
        }
        $written = 0;
        $rows = $this->db->all(
            "SELECT BatchID FROM HostFact_SDD_Batches WHERE Status IN ('downloaded', 'processed') AND DownloadDate >= ? ORDER BY DownloadDate, BatchID",
            [$since],
        );
        foreach ($rows as $row) {
            $batchId = (string) $row['BatchID'];
            if ($this->outbox->record(EventType::SDD_BATCH_DOWNLOADED, 'sdd_batch', $batchId, ['poller' => 'sdd'], EventType::SDD_BATCH_DOWNLOADED . ':' . $batchId)) {
                $written++;
            }
        }
        return $written;
    }
}
