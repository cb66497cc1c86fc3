<?php

declare(strict_types=1);

namespace HostFactStandIn;

use HostFactExact\Support\Decimal;
use InvalidArgumentException;

/**
 * Direct-debit (SEPA) batches in HostFact_SDD_Batches / HostFact_SDD_BatchElements, with HostFact's
 * status flow draft -> downloadable -> downloaded -> processed, and the reversal hook.
 * HostFact's API has no controller for these; the stand-in offers them as methods.
 */
final class Sdd
{
    public function __construct(private readonly HostFact $hf)
    {
    }

    /** @param list<string> $invoiceIds */
    public function createBatch(string $date, array $invoiceIds): string
    {
        $db = $this->hf->db;
        $batchId = 'SDD' . str_replace('-', '', $date);
        $total = Decimal::of('0');
        foreach ($invoiceIds as $invoiceId) {
            $invoice = $this->hf->findOrFail('invoice', ['Identifier' => $invoiceId]);
            $amount = $invoice['Status'] === '3'
                ? Decimal::of($invoice['AmountIncl'])->sub(Decimal::of($invoice['AmountPaid']))
                : Decimal::of($invoice['AmountIncl']);
            $total = $total->add($amount);
            $db->run(
                'INSERT INTO HostFact_SDD_BatchElements (BatchID, Debtor, InvoiceID, Status, MandateType) VALUES (?, ?, ?, ?, ?)',
                [$batchId, (int) $invoice['Debtor'], (int) $invoiceId, 'draft', 'RCUR'],
            );
            $invoice['Authorisation'] = 'yes';
            $invoice['PaymentMethod'] = 'auth';
            $this->hf->documents->save('invoice', $invoice, ['SDDBatchID' => $batchId]);
        }
        $db->run(
            'INSERT INTO HostFact_SDD_Batches (BatchID, Date, Status, Count, Amount, SDD_ID, SDD_IBAN, SDD_BIC) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            [$batchId, $date, 'draft', count($invoiceIds), HostFact::money($total), 'NL00ZZZ123456780000', 'NL91ABNA0417164300', 'ABNANL2A'],
        );
        return $batchId;
    }

    public function setStatus(string $batchId, string $status): void
    {
        if (!in_array($status, ['draft', 'downloadable', 'downloaded', 'processed', 'rejected', 'cancelled'], true)) {
            throw new InvalidArgumentException("unknown SDD status $status");
        }
        $download = $status === 'downloaded' ? $this->hf->clock->now() : null;
        $this->hf->db->run(
            'UPDATE HostFact_SDD_Batches SET Status = ?, DownloadDate = COALESCE(?, DownloadDate) WHERE BatchID = ?',
            [$status, $download, $batchId],
        );
    }

    /** The batch date passed: elements succeed and HostFact marks the invoices paid on the batch date. */
    public function process(string $batchId): void
    {
        $batch = $this->hf->db->one('SELECT * FROM HostFact_SDD_Batches WHERE BatchID = ?', [$batchId]);
        if ($batch === null) {
            throw new InvalidArgumentException("no batch $batchId");
        }
        foreach ($this->hf->db->all("SELECT * FROM HostFact_SDD_BatchElements WHERE BatchID = ? AND Status = 'draft'", [$batchId]) as $element) {
            $this->hf->db->run("UPDATE HostFact_SDD_BatchElements SET Status = 'success' WHERE id = ?", [$element['id']]);
            $this->hf->api('invoice', 'markaspaid', ['Identifier' => (string) $element['InvoiceID'], 'PayDate' => $batch['Date']]);
        }
        $this->setStatus($batchId, 'processed');
    }

    /** A storno: the element fails, the invoice is open again, invoice_direct_debit_has_reversal fires. */
    public function reverse(string $invoiceId, string $reason): void
    {
        $invoice = $this->hf->findOrFail('invoice', ['Identifier' => $invoiceId]);
        $this->hf->db->run(
            "UPDATE HostFact_SDD_BatchElements SET Status = 'failed', Reason = ? WHERE InvoiceID = ?",
            [$reason, (int) $invoiceId],
        );
        if (in_array($invoice['Status'], ['3', '4'], true)) {
            $invoice['Status'] = '2';
            $invoice['AmountPaid'] = '0.00';
            $invoice['PayDate'] = '';
            $invoice = $this->hf->documents->save('invoice', $invoice, ['AmountPaid' => '0.00']);
        }
        $this->hf->hooks->doAction('invoice_direct_debit_has_reversal', Invoices::hookParams($invoice) + [
            'Reason' => $reason, 'Action' => 'reverse',
        ]);
    }

    public function recordExport(string $package, string $type, string $referenceId, string $packageReference, string $status = 'success'): void
    {
        $this->hf->db->run(
            'INSERT INTO HostFact_ExportHistory (Package, Type, ReferenceID, PackageReference, Status, Message, ExportedAt) VALUES (?, ?, ?, ?, ?, ?, ?)',
            [$package, $type, (int) $referenceId, $packageReference, $status, '[]', $this->hf->clock->now()],
        );
    }
}
