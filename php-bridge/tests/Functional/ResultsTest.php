<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Support\Json;
use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\Results;
use HostFactExact\Tests\Support\TestEnv;
use HostFactExact\Tests\Support\Validator;
use HostFactExact\Tests\Support\WorldTestCase;
use HostFactStandIn\SampleData;

/** Payment and export results from the broker back into HostFact: applied once, serialized, acked after. */
final class ResultsTest extends WorldTestCase
{
    /** @return array{TestEnv, string, string, string} world, invoice id, code, AmountIncl */
    private function issuedInvoice(string $driver): array
    {
        $world = $this->world($driver);
        $ids = SampleData::seed($world->hostfact);
        $id = SampleData::conceptInvoice($world->hostfact, $ids['bv']);
        $invoice = $world->hostfact->api('invoice', 'sendbyemail', ['Identifier' => $id])['invoice'];
        $world->bridge->relay()->runOnce(false);
        return [$world, $id, $invoice['InvoiceCode'], $invoice['AmountIncl']];
    }

    /** @param list<array<string, mixed>> $envelopes */
    private function deliver(TestEnv $world, array $envelopes): array
    {
        $bodies = [];
        foreach ($envelopes as $i => $envelope) {
            Broker::publishResult($world->config->prefix, $envelope);
            $bodies["r$i"] = Json::encode($envelope);
        }
        [$code, $output] = Validator::validateBodies($world->dir . '/results', $bodies);
        self::assertSame(0, $code, "the test's result messages follow the contract:\n" . $output);
        return $world->bridge->resultsConsumer()->run(true, 0.5);
    }

    private function invoice(TestEnv $world, string $id): array
    {
        return $world->hostfact->api('invoice', 'show', ['Identifier' => $id])['invoice'];
    }

    /**
     * A partial payment, then the rest: HostFact ends paid on the date; redelivery changes nothing.
     *
     * @dataProvider drivers
     */
    public function testPaymentsAreAppliedOnceEvenWhenRedelivered(string $driver): void
    {
        [$world, $id, $code, $incl] = $this->issuedInvoice($driver);
        $partial = Results::partial($id, $code, '100.00', number_format((float) $incl - 100, 2, '.', ''), '2026-12-01');
        $counts = $this->deliver($world, [$partial, $partial]);
        self::assertSame(['applied' => 1, 'duplicate' => 1], $counts);
        $invoice = $this->invoice($world, $id);
        self::assertSame('3', $invoice['Status']);
        self::assertSame('100.00', $invoice['AmountPaid']);

        // the same fact again under a new message id (Exact polled twice): HostFact's state says it is in
        $again = Results::partial($id, $code, '100.00', number_format((float) $incl - 100, 2, '.', ''), '2026-12-01');
        self::assertSame(['unchanged' => 1], $this->deliver($world, [$again]));
        self::assertSame('100.00', $this->invoice($world, $id)['AmountPaid']);

        $matched = Results::matched($id, $code, $incl, '2026-12-03');
        self::assertSame(['applied' => 1, 'duplicate' => 1], $this->deliver($world, [$matched, $matched]));
        $invoice = $this->invoice($world, $id);
        self::assertSame('4', $invoice['Status']);
        self::assertSame('2026-12-03', $invoice['PayDate']);
        self::assertSame($incl, $invoice['AmountPaid']);

        // the write-backs' own hooks are echoes: no invoice.changed was queued for them
        $changed = $world->db->all("SELECT * FROM hfexact_outbox WHERE event_type = 'invoice.changed'");
        self::assertSame([], $changed);

        $reopened = Results::reopened($id, $code, $incl);
        self::assertSame(['applied' => 1], $this->deliver($world, [$reopened]));
        self::assertSame('2', $this->invoice($world, $id)['Status']);
        self::assertSame('0', (string) $world->db->run('SELECT COUNT(*) FROM hfexact_outbox WHERE event_type = ?', ['invoice.changed'])->fetchColumn());
    }

    /** Unknown invoices and wrong codes are kept with a reason; export results are stored; all are acked. */
    public function testUnknownInvoicesAreKeptAndExportResultsStored(): void
    {
        [$world, $id, $code] = $this->issuedInvoice('sqlite');
        $unknown = Results::matched('99999', 'F20269999', '10.00');
        $wrongCode = Results::matched($id, 'F20260777', '10.00');
        $failed = Results::envelope('export.failed', ['kind' => 'invoice', 'hostfact_id' => $id, 'hostfact_code' => $code, 'reason' => 'VAT code 6 does not exist', 'exact_message' => 'Btw-code bestaat niet: 6']);
        $validated = Results::envelope('settings.validated', ['installation' => 'hf-test', 'settings_version' => '0b8f6d2e-4c1e-4f57-9a63-2d1f0c6a9e11', 'valid' => false, 'problems' => ['journal 71 does not exist']]);
        $counts = $this->deliver($world, [$unknown, $wrongCode, $failed, $validated]);
        self::assertSame(['kept' => 2, 'stored' => 2], $counts);
        $rows = $world->db->all('SELECT message_id, type, status, reason FROM hfexact_results ORDER BY received_at, type');
        $byId = array_column($rows, null, 'message_id');
        self::assertStringContainsString('unknown invoice', (string) $byId[$unknown['id']]['reason']);
        self::assertStringContainsString('not F20260777', (string) $byId[$wrongCode['id']]['reason']);
        self::assertSame('stored', $byId[$failed['id']]['status']);
        self::assertSame('2', $this->invoice($world, $id)['Status'], 'nothing was paid');
        self::assertSame([], \HostFactExact\Tests\Support\Broker::drain($world->config->prefix . '.bridge.results'), 'all acked');
    }

    /** An invoice already paid in HostFact (online payment, direct-debit batch) is not touched twice. */
    public function testAlreadyPaidInvoiceIsLeftAlone(): void
    {
        [$world, $id, $code, $incl] = $this->issuedInvoice('sqlite');
        $world->hostfact->api('invoice', 'markaspaid', ['Identifier' => $id, 'PayDate' => '2026-11-30']);
        $calls = count($world->hostfact->calls);
        self::assertSame(['unchanged' => 1], $this->deliver($world, [Results::matched($id, $code, $incl, '2026-12-05')]));
        self::assertSame('2026-11-30', $this->invoice($world, $id)['PayDate']);
        $writes = array_filter(array_slice($world->hostfact->calls, $calls), static fn (array $c): bool => !in_array($c['action'], ['show', 'list'], true));
        self::assertSame([], array_values($writes));
    }

    /** results.php --once consumes, applies and exits 0. */
    public function testResultsScript(): void
    {
        [$world, $id, $code, $incl] = $this->issuedInvoice('mysql');
        Broker::publishResult($world->config->prefix, Results::matched($id, $code, $incl));
        [$exit, , $stderr] = $world->runScript('results.php', ['--once', '--idle', '0.5']);
        self::assertSame(0, $exit, $stderr);
        self::assertSame('4', $this->invoice($world, $id)['Status']);
    }
}
