<?php

declare(strict_types=1);

namespace HostFactExact\Hook;

use HostFactExact\Event\EventType;
use HostFactExact\Outbox\OutboxWriter;

/**
 * What each HostFact hook writes to the outbox: ids and the hook's own facts, never the record
 * (which may be uncommitted at hook time; the relay reads it when it publishes).
 *
 * | hook                                   | outbox row                                                  |
 * |----------------------------------------|-------------------------------------------------------------|
 * | debtor_is_created, debtor_is_edited    | debtor.upserted                                              |
 * | debtor_is_archived                     | debtor.archived                                              |
 * | invoice_is_sent                        | invoice.issued, first send only (dedupe invoice.issued:<id>) |
 * | invoice_is_credited                    | invoice.issued for the credit invoice (status 8)             |
 * | invoice_is_edited, invoice_is_(partly_)paid, invoice_is_unpaid | invoice.changed, only after the invoice was issued; not for the bridge's own write-backs |
 * | invoice_direct_debit_has_reversal      | sdd.reversed                                                 |
 */
final class HookRecorder
{
    public const HOOKS = [
        'debtor_is_created', 'debtor_is_edited', 'debtor_is_archived', 'invoice_is_sent', 'invoice_is_credited',
        'invoice_is_edited', 'invoice_is_paid', 'invoice_is_partly_paid', 'invoice_is_unpaid',
        'invoice_direct_debit_has_reversal', 'cronjob_task',
    ];

    public function __construct(private readonly OutboxWriter $outbox)
    {
    }

    /**
     * @param array<mixed> $parameters HostFact's hook parameters
     * @return string what happened: recorded / duplicate / ignored:<why>
     */
    public function record(string $hook, array $parameters): string
    {
        $id = (string) ($parameters['id'] ?? '');
        switch ($hook) {
            case 'debtor_is_created':
            case 'debtor_is_edited':
                return $this->row(EventType::DEBTOR_UPSERTED, 'debtor', $id, $hook, $parameters, ['DebtorCode']);
            case 'debtor_is_archived':
                return $this->row(EventType::DEBTOR_ARCHIVED, 'debtor', $id, $hook, $parameters, ['DebtorCode']);
            case 'invoice_is_sent':
                return $this->row(EventType::INVOICE_ISSUED, 'invoice', $id, $hook, $parameters, ['InvoiceCode', 'Debtor', 'Sent'], 'invoice.issued:' . $id);
            case 'invoice_is_credited':
                $creditId = (string) ($parameters['CreditInvoiceID'] ?? '');
                if ($creditId === '') {
                    return 'ignored:no CreditInvoiceID';
                }
                return $this->row(EventType::INVOICE_ISSUED, 'invoice', $creditId, $hook, [
                    'credits' => $id,
                    'CreditedInvoiceCode' => (string) ($parameters['InvoiceCode'] ?? ''),
                    'InvoiceCode' => (string) ($parameters['CreditInvoiceCode'] ?? ''),
                    'Debtor' => (string) ($parameters['Debtor'] ?? ''),
                ], ['credits', 'CreditedInvoiceCode', 'InvoiceCode', 'Debtor'], 'invoice.issued:' . $creditId);
            case 'invoice_is_edited':
            case 'invoice_is_paid':
            case 'invoice_is_partly_paid':
            case 'invoice_is_unpaid':
                if ($hook !== 'invoice_is_edited' && WriteBackGuard::isWritingBack($id)) {
                    return 'ignored:echo of the bridge write-back';
                }
                if (!$this->outbox->hasKey('invoice.issued:' . $id)) {
                    return 'ignored:invoice not issued through the bridge';
                }
                return $this->row(EventType::INVOICE_CHANGED, 'invoice', $id, $hook, $parameters, ['InvoiceCode', 'Debtor', 'AmountPaidNow', 'AmountPaidTotal', 'AmountOpen']);
            case 'invoice_direct_debit_has_reversal':
                return $this->row(EventType::SDD_REVERSED, 'sdd_reversal', $id, $hook, $parameters, ['InvoiceCode', 'Debtor', 'Reason', 'Action']);
        }
        return 'ignored:not an exported hook';
    }

    /**
     * @param array<mixed> $parameters
     * @param list<string> $keep parameter names copied into the row
     */
    private function row(string $type, string $entity, string $id, string $hook, array $parameters, array $keep, ?string $dedupe = null): string
    {
        if ($id === '') {
            return 'ignored:no id';
        }
        $params = ['hook' => $hook];
        foreach ($keep as $key) {
            if (array_key_exists($key, $parameters) && is_scalar($parameters[$key])) {
                $params[$key] = (string) $parameters[$key];
            }
        }
        return $this->outbox->record($type, $entity, $id, $params, $dedupe) ? 'recorded' : 'duplicate';
    }
}
