<?php

declare(strict_types=1);

namespace HostFactExact\Relay;

use HostFactExact\Db\Database;
use HostFactExact\Event\EventFactory;
use HostFactExact\Event\EventType;
use HostFactExact\Exception\HostFactError;
use HostFactExact\Exception\RecordGone;
use HostFactExact\Exception\RowSkipped;
use HostFactExact\HostFact\HostFactClient;
use HostFactExact\Outbox\OutboxRow;
use HostFactExact\Settings\ExportSettings;
use HostFactExact\Support\Decimal;
use DateTimeImmutable;

/**
 * Turns an outbox row into a full event: reads the committed record through internalAPI show
 * (and HostFact's SDD tables), adds `related`, and builds the envelope with the row's own id/time.
 */
final class Enricher
{
    /** @var array<string, list<string>> product code -> group names, per relay run */
    private array $groupCache = [];

    public function __construct(
        private readonly HostFactClient $hostfact,
        private readonly Database $db,
        private readonly EventFactory $events,
    ) {
    }

    /**
     * @return array<string, mixed> the envelope
     * @throws RecordGone|HostFactError|RowSkipped
     */
    public function envelope(OutboxRow $row): array
    {
        $id = $row->eventId;
        $at = new DateTimeImmutable($row->occurredAt);
        return match ($row->eventType) {
            EventType::DEBTOR_UPSERTED => $this->events->debtorUpserted($this->show('debtor', $row->entityId), $id, $at),
            EventType::DEBTOR_ARCHIVED => $this->events->debtorArchived($this->show('debtor', $row->entityId), $id, $at),
            EventType::CREDITOR_UPSERTED => $this->events->creditorUpserted($this->show('creditor', $row->entityId), $id, $at),
            EventType::INVOICE_ISSUED, EventType::INVOICE_CHANGED => $this->invoice($row, $id, $at),
            EventType::PURCHASE_INVOICE_RECEIVED => $this->purchaseInvoice($row, $id, $at),
            EventType::SDD_BATCH_DOWNLOADED => $this->events->sddBatchDownloaded($this->sddBatch($row->entityId), $id, $at),
            EventType::SDD_REVERSED => $this->events->sddReversed($this->sddReversal($row), $id, $at),
            EventType::SETTINGS_CHANGED => $this->events->settingsChanged(ExportSettings::toPayload((array) ($row->params['settings'] ?? [])), $id, $at),
            default => throw new RowSkipped(sprintf('unknown event type %s', $row->eventType)),
        };
    }

    public function forgetCaches(): void
    {
        $this->groupCache = [];
    }

    /** @return array<string, mixed> */
    private function show(string $controller, string $identifier): array
    {
        return $this->hostfact->show($controller, ['Identifier' => $identifier]);
    }

    /** @return array<string, mixed> */
    private function invoice(OutboxRow $row, string $id, DateTimeImmutable $at): array
    {
        $invoice = $this->show('invoice', $row->entityId);
        if ($invoice['Status'] === '0' || str_starts_with((string) $invoice['InvoiceCode'], '[concept]')) {
            throw new RowSkipped('the invoice is still a concept');
        }
        // status 9 (credited before this row was relayed) is still published: the credit
        // invoice that cancelled it books a credit note in Exact that needs the original
        $batch = $this->sddBatchIdOf($row->entityId);
        if ($batch !== null && !array_key_exists('SDDBatchID', $invoice)) {
            $invoice['SDDBatchID'] = $batch;
        }
        $debtor = $this->show('debtor', (string) $invoice['Debtor']);
        $groups = $this->productGroups($invoice);
        $credited = null;
        if ((string) $invoice['Status'] === '8' && ($row->params['credits'] ?? '') !== '') {
            try {
                $credited = $this->show('invoice', (string) $row->params['credits']);
            } catch (RecordGone) {
                $credited = null;
            }
        }
        return $row->eventType === EventType::INVOICE_ISSUED
            ? $this->events->invoiceIssued($invoice, $debtor, $groups, $credited, $id, $at)
            : $this->events->invoiceChanged($invoice, $debtor, $groups, $credited, $id, $at);
    }

    /** @return array<string, mixed> */
    private function purchaseInvoice(OutboxRow $row, string $id, DateTimeImmutable $at): array
    {
        $invoice = $this->show('creditinvoice', $row->entityId);
        if ((string) $invoice['Status'] === '0') {
            throw new RowSkipped('the purchase invoice is not received yet (status 0)');
        }
        $creditor = $this->show('creditor', (string) $invoice['Creditor']);
        return $this->events->purchaseInvoiceReceived($invoice, $creditor, $id, $at);
    }

    /**
     * @param array<string, mixed> $invoice
     * @return array<string, list<string>>
     */
    private function productGroups(array $invoice): array
    {
        $groups = [];
        foreach ((array) ($invoice['InvoiceLines'] ?? []) as $line) {
            $code = (string) ($line['ProductCode'] ?? '');
            if ($code === '' || isset($groups[$code])) {
                continue;
            }
            if (!isset($this->groupCache[$code])) {
                try {
                    $product = $this->hostfact->show('product', ['ProductCode' => $code]);
                    $names = [];
                    foreach ((array) ($product['Groups'] ?? []) as $group) {
                        $name = is_array($group) ? (string) ($group['GroupName'] ?? '') : '';
                        if ($name !== '' && !in_array($name, $names, true)) {
                            $names[] = $name;
                        }
                    }
                    $this->groupCache[$code] = $names;
                } catch (RecordGone) {
                    $this->groupCache[$code] = [];
                }
            }
            $groups[$code] = $this->groupCache[$code];
        }
        return $groups;
    }

    private function sddBatchIdOf(string $invoiceId): ?string
    {
        $row = $this->db->one(
            'SELECT BatchID FROM HostFact_SDD_BatchElements WHERE InvoiceID = ? ORDER BY id DESC LIMIT 1',
            [(int) $invoiceId],
        );
        return $row === null ? null : (string) $row['BatchID'];
    }

    /**
     * The batch as HostFact's SDD tables hold it; element amounts and codes from invoice/show
     * (collected amount = AmountIncl, or AmountIncl - AmountPaid when partly paid).
     *
     * @return array<string, mixed>
     */
    private function sddBatch(string $batchId): array
    {
        $batch = $this->db->one(
            'SELECT BatchID, Date, Status, Count, Amount, DownloadDate, SDD_ID, SDD_IBAN, SDD_BIC FROM HostFact_SDD_Batches WHERE BatchID = ?',
            [$batchId],
        );
        if ($batch === null) {
            throw new RecordGone('sddbatch', 'read', [sprintf('SDD batch %s not found', $batchId)]);
        }
        $elements = [];
        $rows = $this->db->all(
            'SELECT InvoiceID, Debtor, Status, Reason, MandateType FROM HostFact_SDD_BatchElements WHERE BatchID = ? ORDER BY id',
            [$batchId],
        );
        foreach ($rows as $element) {
            $invoice = $this->show('invoice', (string) $element['InvoiceID']);
            $elements[] = [
                'InvoiceCode' => (string) $invoice['InvoiceCode'],
                'DebtorCode' => (string) $invoice['DebtorCode'],
                'Amount' => self::collected($invoice),
                'Status' => (string) $element['Status'],
                'InvoiceID' => (string) $element['InvoiceID'],
                'Debtor' => (string) $element['Debtor'],
                'MandateType' => (string) $element['MandateType'],
                'Reason' => (string) $element['Reason'],
            ];
        }
        $batch = array_map(static fn ($v) => $v === null ? '' : (is_string($v) ? $v : (string) $v), $batch);
        $batch['Amount'] = Decimal::of((string) $batch['Amount'])->round(2)->toString();
        $batch['Elements'] = $elements;
        return $batch;
    }

    /** @return array<string, mixed> */
    private function sddReversal(OutboxRow $row): array
    {
        $invoice = $this->show('invoice', $row->entityId);
        $batchId = $this->sddBatchIdOf($row->entityId) ?? (string) ($invoice['SDDBatchID'] ?? '');
        return [
            'Identifier' => (string) $invoice['Identifier'],
            'InvoiceCode' => (string) $invoice['InvoiceCode'],
            'Debtor' => (string) $invoice['Debtor'],
            'DebtorCode' => (string) $invoice['DebtorCode'],
            'BatchID' => $batchId,
            'Amount' => self::collected($invoice),
            'Reason' => (string) ($row->params['Reason'] ?? ''),
            'Action' => (string) ($row->params['Action'] ?? ''),
            'Date' => substr($row->occurredAt, 0, 10),
        ];
    }

    /** @param array<string, mixed> $invoice */
    private static function collected(array $invoice): string
    {
        $incl = Decimal::of((string) $invoice['AmountIncl']);
        if ((string) $invoice['Status'] === '3') {
            $incl = $incl->sub(Decimal::of((string) $invoice['AmountPaid']));
        }
        return $incl->round(2)->toString();
    }
}
