<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Unit;

use HostFactExact\Db\BridgeSchema;
use HostFactExact\Db\Database;
use HostFactExact\Hook\HookRecorder;
use HostFactExact\Hook\WriteBackGuard;
use HostFactExact\Outbox\Outbox;
use PDO;
use PHPUnit\Framework\TestCase;

/** Which hook writes which outbox row (on an in-memory SQLite outbox). */
final class HookRecorderTest extends TestCase
{
    private Outbox $outbox;
    private HookRecorder $recorder;

    protected function setUp(): void
    {
        $db = Database::wrap(new PDO('sqlite::memory:'));
        (new BridgeSchema($db))->create();
        $this->outbox = new Outbox($db);
        $this->recorder = new HookRecorder($this->outbox);
    }

    /** @return list<array{string, string, string}> */
    private function rows(): array
    {
        return array_map(
            static fn (array $r): array => [$r['event_type'], $r['entity'], $r['entity_id']],
            $this->outbox->db()->all('SELECT event_type, entity, entity_id FROM hfexact_outbox ORDER BY id'),
        );
    }

    /** Debtor hooks become debtor.upserted / debtor.archived with the id only. */
    public function testDebtorHooks(): void
    {
        self::assertSame('recorded', $this->recorder->record('debtor_is_created', ['id' => '1', 'DebtorCode' => 'DB0001']));
        self::assertSame('recorded', $this->recorder->record('debtor_is_edited', ['id' => '1', 'DebtorCode' => 'DB0001']));
        self::assertSame('recorded', $this->recorder->record('debtor_is_archived', ['id' => '1', 'DebtorCode' => 'DB0001']));
        self::assertSame([['debtor.upserted', 'debtor', '1'], ['debtor.upserted', 'debtor', '1'], ['debtor.archived', 'debtor', '1']], $this->rows());
    }

    /** invoice_is_sent records invoice.issued on the first send only; resends are duplicates. */
    public function testFirstSendOnly(): void
    {
        self::assertSame('recorded', $this->recorder->record('invoice_is_sent', ['id' => '9300', 'InvoiceCode' => 'F0012', 'Sent' => '1']));
        self::assertSame('duplicate', $this->recorder->record('invoice_is_sent', ['id' => '9300', 'InvoiceCode' => 'F0012', 'Sent' => '2']));
        self::assertSame([['invoice.issued', 'invoice', '9300']], $this->rows());
    }

    /** A credit records invoice.issued for the new credit invoice, naming the credited one. */
    public function testCreditedRecordsTheCreditInvoice(): void
    {
        $this->recorder->record('invoice_is_credited', ['id' => '9300', 'InvoiceCode' => 'F0012', 'Debtor' => '1', 'CreditInvoiceID' => '9301', 'CreditInvoiceCode' => 'F0013']);
        self::assertSame([['invoice.issued', 'invoice', '9301']], $this->rows());
        $params = json_decode((string) $this->outbox->db()->one('SELECT params FROM hfexact_outbox')['params'], true);
        self::assertSame('9300', $params['credits']);
    }

    /** Edits and payments matter only after the invoice was issued; the bridge's own write-back is an echo. */
    public function testChangesAfterIssueAndEchoSuppression(): void
    {
        self::assertSame('ignored:invoice not issued through the bridge', $this->recorder->record('invoice_is_edited', ['id' => '5']));
        $this->recorder->record('invoice_is_sent', ['id' => '5']);
        self::assertSame('recorded', $this->recorder->record('invoice_is_paid', ['id' => '5']));
        $echo = WriteBackGuard::during('5', fn () => $this->recorder->record('invoice_is_paid', ['id' => '5']));
        self::assertSame('ignored:echo of the bridge write-back', $echo);
        self::assertSame('recorded', $this->recorder->record('invoice_is_partly_paid', ['id' => '5', 'AmountPaidNow' => '10.00']));
        self::assertSame(['invoice.issued', 'invoice.changed', 'invoice.changed'], array_column($this->rows(), 0));
    }

    /** The reversal hook records sdd.reversed with the bank's reason. */
    public function testReversal(): void
    {
        $this->recorder->record('invoice_direct_debit_has_reversal', ['id' => '5', 'InvoiceCode' => 'F1', 'Reason' => 'MD06', 'Action' => 'reverse']);
        self::assertSame([['sdd.reversed', 'sdd_reversal', '5']], $this->rows());
    }
}
