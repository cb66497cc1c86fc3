<?php

declare(strict_types=1);

namespace HostFactExact\Backfill;

use HostFactExact\Db\Database;
use HostFactExact\Event\EventType;
use HostFactExact\HostFact\HostFactClient;
use HostFactExact\Outbox\Outbox;

/**
 * The first export: puts existing HostFact records into the outbox (the relay publishes them).
 *
 * - debtors and creditors modified on or after --since, not archived;
 * - invoices dated on or after --since that were sent (status 2, 3, 4) and credit invoices (8);
 *   concepts (0), queued (1) and cancelled (9) ones are skipped;
 * - purchase invoices dated on or after --since, received (status not 0).
 * Records HostFact's own Exact module exported already (HostFact_ExportHistory, Status success,
 * imported into hfexact_exported) are skipped, so nothing is booked twice at cut-over. The outbox
 * dedupe keys are the ones hooks and pollers use, so running twice queues nothing new.
 */
final class Backfill
{
    public const TYPES = ['debtors', 'creditors', 'invoices', 'purchase_invoices'];

    private const HISTORY_KIND = [
        'debtor' => 'debtor', 'creditor' => 'creditor', 'invoice' => 'invoice',
        'creditinvoice' => 'purchase_invoice', 'sddbatch' => 'sdd_batch',
    ];

    public function __construct(
        private readonly HostFactClient $hostfact,
        private readonly Database $db,
        private readonly Outbox $outbox,
        private readonly string $package,
    ) {
    }

    /** Imports HostFact_ExportHistory (this package, Status success) as already exported; returns rows new to us. */
    public function importExportHistory(bool $dryRun = false): int
    {
        if (!$this->db->tableExists('HostFact_ExportHistory')) {
            return 0;
        }
        $rows = $this->db->all(
            "SELECT Type, ReferenceID, PackageReference, ExportedAt FROM HostFact_ExportHistory WHERE Package = ? AND Status = 'success' ORDER BY id",
            [$this->package],
        );
        $insert = $this->db->insertIgnoringDuplicates(
            'hfexact_exported',
            ['kind', 'reference_id', 'package_reference', 'source', 'exported_at'],
            'kind',
        );
        $new = 0;
        foreach ($rows as $row) {
            $kind = self::HISTORY_KIND[(string) $row['Type']] ?? null;
            if ($kind === null) {
                continue;
            }
            if ($dryRun) {
                $new += $this->exported($kind, (string) $row['ReferenceID']) ? 0 : 1;
                continue;
            }
            $statement = $this->db->run($insert, [$kind, (string) $row['ReferenceID'], (string) $row['PackageReference'], 'export_history', (string) $row['ExportedAt']]);
            $new += $statement->rowCount() === 1 ? 1 : 0;
        }
        return $new;
    }

    /**
     * @param list<string> $types
     * @param (callable(string, int, int): void)|null $progress type, done, total
     * @return array<string, array{found: int, queued: int, already_queued: int, already_exported: int, skipped: int}>
     */
    public function run(string $since, array $types, bool $dryRun = false, ?callable $progress = null): array
    {
        $summary = [];
        foreach ($types as $type) {
            $summary[$type] = ['found' => 0, 'queued' => 0, 'already_queued' => 0, 'already_exported' => 0, 'skipped' => 0];
            $candidates = $this->candidates($type, $since, $summary[$type]);
            $total = count($candidates);
            foreach ($candidates as $i => [$eventType, $entity, $id, $key, $exportedKind, $params]) {
                if ($this->exported($exportedKind, $id)) {
                    $summary[$type]['already_exported']++;
                } elseif ($this->outbox->hasKey($key)) {
                    $summary[$type]['already_queued']++;
                } elseif ($dryRun) {
                    $summary[$type]['queued']++;
                } else {
                    $recorded = $this->outbox->record($eventType, $entity, $id, $params + ['backfill' => $since], $key);
                    $summary[$type][$recorded ? 'queued' : 'already_queued']++;
                }
                if ($progress !== null) {
                    $progress($type, $i + 1, $total);
                }
            }
        }
        return $summary;
    }

    /**
     * @param array{found: int, queued: int, already_queued: int, already_exported: int, skipped: int} $counts
     * @return list<array{string, string, string, string, string, array<string, string>}>
     */
    private function candidates(string $type, string $since, array &$counts): array
    {
        $out = [];
        switch ($type) {
            case 'debtors':
            case 'creditors':
                $controller = $type === 'debtors' ? 'debtor' : 'creditor';
                $eventType = $type === 'debtors' ? EventType::DEBTOR_UPSERTED : EventType::CREDITOR_UPSERTED;
                foreach ($this->hostfact->list($controller, ['modified' => ['from' => $since]]) as $item) {
                    $counts['found']++;
                    if ((string) ($item['Status'] ?? '1') === '9') {
                        $counts['skipped']++;
                        continue;
                    }
                    $id = (string) $item['Identifier'];
                    $modified = (string) ($item['Modified'] ?? '');
                    $out[] = [$eventType, $controller, $id, "$eventType:$id:$modified", $controller, ['Modified' => $modified]];
                }
                break;
            case 'invoices':
                foreach ($this->hostfact->list('invoice', []) as $item) {
                    if ((string) ($item['Date'] ?? '') < $since) {
                        continue;
                    }
                    $counts['found']++;
                    if (!in_array((string) $item['Status'], ['2', '3', '4', '8'], true)) {
                        $counts['skipped']++;
                        continue;
                    }
                    $id = (string) $item['Identifier'];
                    $out[] = [EventType::INVOICE_ISSUED, 'invoice', $id, 'invoice.issued:' . $id, 'invoice', ['InvoiceCode' => (string) $item['InvoiceCode']]];
                }
                break;
            case 'purchase_invoices':
                foreach ($this->hostfact->list('creditinvoice', []) as $item) {
                    if ((string) ($item['Date'] ?? '') < $since) {
                        continue;
                    }
                    $counts['found']++;
                    if ((string) $item['Status'] === '0' || (string) $item['Status'] === '9') {
                        $counts['skipped']++;
                        continue;
                    }
                    $id = (string) $item['Identifier'];
                    $modified = (string) ($item['Modified'] ?? '');
                    $key = EventType::PURCHASE_INVOICE_RECEIVED . ":$id:$modified";
                    $out[] = [EventType::PURCHASE_INVOICE_RECEIVED, 'creditinvoice', $id, $key, 'purchase_invoice', ['Modified' => $modified]];
                }
                break;
        }
        return $out;
    }

    private function exported(string $kind, string $id): bool
    {
        return $this->db->one('SELECT 1 FROM hfexact_exported WHERE kind = ? AND reference_id = ?', [$kind, $id]) !== null;
    }
}
