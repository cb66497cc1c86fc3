<?php

declare(strict_types=1);

namespace HostFactExact\Event;

/** The version-1 event types HostFact publishes and the result types it consumes (design §4). */
final class EventType
{
    public const DEBTOR_UPSERTED = 'debtor.upserted';
    public const DEBTOR_ARCHIVED = 'debtor.archived';
    public const CREDITOR_UPSERTED = 'creditor.upserted';
    public const INVOICE_ISSUED = 'invoice.issued';
    public const INVOICE_CHANGED = 'invoice.changed';
    public const PURCHASE_INVOICE_RECEIVED = 'purchase_invoice.received';
    public const SDD_BATCH_DOWNLOADED = 'sdd_batch.downloaded';
    public const SDD_REVERSED = 'sdd.reversed';
    public const SETTINGS_CHANGED = 'settings.changed';

    public const EXPORT_SUCCEEDED = 'export.succeeded';
    public const EXPORT_FAILED = 'export.failed';
    public const PAYMENT_MATCHED = 'payment.matched';
    public const PAYMENT_PARTIAL = 'payment.partial';
    public const PAYMENT_REOPENED = 'payment.reopened';
    public const SETTINGS_VALIDATED = 'settings.validated';

    public const EVENTS = [
        self::DEBTOR_UPSERTED, self::DEBTOR_ARCHIVED, self::CREDITOR_UPSERTED, self::INVOICE_ISSUED,
        self::INVOICE_CHANGED, self::PURCHASE_INVOICE_RECEIVED, self::SDD_BATCH_DOWNLOADED,
        self::SDD_REVERSED, self::SETTINGS_CHANGED,
    ];

    public const RESULTS = [
        self::EXPORT_SUCCEEDED, self::EXPORT_FAILED, self::PAYMENT_MATCHED, self::PAYMENT_PARTIAL,
        self::PAYMENT_REOPENED, self::SETTINGS_VALIDATED,
    ];

    /** Entity switch on the settings page (settings.changed `enabled`) that governs each event type. */
    public const ENTITY = [
        self::DEBTOR_UPSERTED => 'debtors',
        self::DEBTOR_ARCHIVED => 'debtors',
        self::CREDITOR_UPSERTED => 'creditors',
        self::INVOICE_ISSUED => 'invoices',
        self::INVOICE_CHANGED => 'invoices',
        self::PURCHASE_INVOICE_RECEIVED => 'purchase_invoices',
        self::SDD_BATCH_DOWNLOADED => 'sdd_batches',
        self::SDD_REVERSED => 'sdd_batches',
    ];

    public static function isEvent(string $type): bool
    {
        return in_array($type, self::EVENTS, true);
    }
}
