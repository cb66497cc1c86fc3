<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\WorldTestCase;
use HostFactStandIn\SampleData;
use PhpAmqpLib\Message\AMQPMessage;

/** bin/backfill.php: first export of existing records, skipping concepts and what was exported before. */
final class BackfillTest extends WorldTestCase
{
    /** @dataProvider drivers */
    public function testBackfillIsIdempotentAndHonoursExportHistory(string $driver): void
    {
        $world = $this->world($driver);
        $hf = $world->hostfact;
        $ids = SampleData::seed($hf);
        $sent = [];
        for ($i = 0; $i < 4; $i++) {
            $id = SampleData::conceptInvoice($hf, $ids['bv']);
            $hf->api('invoice', 'sendbyemail', ['Identifier' => $id]);
            $sent[] = $id;
        }
        SampleData::conceptInvoice($hf, $ids['consumer']); // a concept: never exported
        $hf->api('creditinvoice', 'add', ['Creditor' => $ids['creditor'], 'InvoiceCode' => 'X-1', 'InvoiceLines' => [
            ['Description' => 'Stroom', 'Number' => '1', 'PriceExcl' => '40', 'TaxPercentage' => 21],
        ]]);
        // HostFact's own Exact module exported the first invoice before the cut-over
        $hf->sdd->recordExport('exact', 'invoice', $sent[0], '{"EntryID":"3f1c"}');
        $world->db->pdo->exec('DELETE FROM hfexact_outbox'); // a bridge installed after the fact: no hook rows

        [$code, $out, $err] = $world->runScript('backfill.php', ['--since', '2000-01-01', '--dry-run']);
        self::assertSame(0, $code, $err);
        self::assertStringContainsString('dry run', $out);
        self::assertSame(0, (int) $world->db->run('SELECT COUNT(*) FROM hfexact_outbox')->fetchColumn());

        [$code, $out, $err] = $world->runScript('backfill.php', ['--since', '2000-01-01']);
        self::assertSame(0, $code, $out . $err);
        self::assertMatchesRegularExpression('/invoices\s+found 5\s+queued 3\s+already queued 0\s+already exported 1\s+skipped 1/', $out);
        $messages = Broker::drain($world->config->prefix . '.exact');
        $types = array_count_values(array_map(static fn (AMQPMessage $m): string => (string) $m->get('type'), $messages));
        self::assertSame(['debtor.upserted' => 3, 'creditor.upserted' => 1, 'invoice.issued' => 3, 'purchase_invoice.received' => 1], $types);

        [$code, $out] = $world->runScript('backfill.php', ['--since', '2000-01-01', '--types', 'invoices,debtors']);
        self::assertSame(0, $code);
        self::assertMatchesRegularExpression('/invoices\s+found 5\s+queued 0\s+already queued 3/', $out);
        self::assertSame([], Broker::drain($world->config->prefix . '.exact'), 'a second run publishes nothing');
    }
}
