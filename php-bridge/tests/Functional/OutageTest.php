<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Amqp\AmqpEndpoint;
use HostFactExact\Amqp\ConfirmingPublisher;
use HostFactExact\Amqp\Connector;
use HostFactExact\Db\Database;
use HostFactExact\Hook\HookRuntime;
use HostFactExact\Config;
use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\WorldTestCase;
use HostFactStandIn\SampleData;
use PhpAmqpLib\Message\AMQPMessage;

/** Nothing is lost and nothing doubles when the broker or the database is away. */
final class OutageTest extends WorldTestCase
{
    /** A broker outage during 100 invoice sends: HostFact keeps working, then all 100 go out once, in order. */
    public function testBrokerOutageDuring100InvoiceSends(): void
    {
        $world = $this->world('mysql');
        $hf = $world->hostfact;
        $ids = SampleData::seed($hf);
        $invoices = [];
        for ($i = 0; $i < 100; $i++) {
            $invoices[] = SampleData::conceptInvoice($hf, $ids[['bv', 'consumer', 'eu'][$i % 3]], 1 + $i % 4);
        }
        $up = $world->bridge->relay();
        $deadPublisher = new ConfirmingPublisher(new Connector(AmqpEndpoint::fromUrl(Broker::closedPortUrl()), 0.5), $world->bridge->topology);
        $down = $world->bridge->relay($deadPublisher);

        $codes = [];
        foreach ($invoices as $i => $id) {
            $answer = $hf->api('invoice', 'sendbyemail', ['Identifier' => $id]);
            self::assertSame('success', $answer['status'], 'HostFact keeps working whatever the broker does');
            $codes[] = $answer['invoice']['InvoiceCode'];
            if ($i % 10 === 9) {
                $stats = ($i < 30 || $i >= 70 ? $up : $down)->runOnce(false);
                self::assertSame($i >= 30 && $i < 70, $stats['broker_down']);
            }
        }
        self::assertSame(0, $world->bridge->outbox->backlog());

        $issued = array_values(array_filter(
            Broker::drain($world->config->prefix . '.exact'),
            static fn (AMQPMessage $m): bool => $m->get('type') === 'invoice.issued',
        ));
        $ids = array_map(static fn (AMQPMessage $m): string => (string) $m->get('message_id'), $issued);
        $published = array_map(static fn (AMQPMessage $m): string => json_decode($m->getBody(), true)['data']['InvoiceCode'], $issued);
        self::assertCount(100, $issued, 'nothing lost');
        self::assertCount(100, array_unique($ids), 'nothing doubled');
        self::assertSame($codes, $published, 'in send order');
    }

    /**
     * A hook that meets a dead database (its own connection: HFEXACT_HOOK_CONNECTION=own, the fallback
     * when HostFact's is not used) does not break HostFact's request; the row is spooled and published later.
     */
    public function testHookWithDeadDatabaseSpoolsAndRelayCatchesUp(): void
    {
        $world = $this->world();
        $hf = $world->hostfact;
        $ids = SampleData::seed($hf);
        $invoice = SampleData::conceptInvoice($hf, $ids['bv']);
        $deadDb = Config::fromEnv([
            'HFEXACT_DB_DSN' => 'mysql:host=127.0.0.1;port=' . parse_url(Broker::closedPortUrl(), PHP_URL_PORT) . ';dbname=x',
            'HFEXACT_SPOOL_DIR' => $world->config->spoolDir,
            'HFEXACT_AMQP_PREFIX' => $world->config->prefix,
            'HFEXACT_HOOK_CONNECTION' => 'own',
        ]);
        HookRuntime::reset($deadDb);
        $started = microtime(true);
        $answer = $hf->api('invoice', 'sendbyemail', ['Identifier' => $invoice]);
        $hf->api('debtor', 'edit', ['Identifier' => $ids['eu'], 'City' => 'Brussel']);
        self::assertSame('success', $answer['status']);
        self::assertLessThan(3.0, microtime(true) - $started, 'one bounded connect attempt per request');
        self::assertSame([], $hf->hooks->caughtExceptions, 'no exception reached HostFact');
        self::assertFileExists($world->config->spoolDir . '/outbox.jsonl');

        HookRuntime::reset($world->config, $world->db);
        $before = $world->bridge->outbox->backlog();
        $stats = $world->bridge->relay()->runOnce(false);
        self::assertSame(2, $stats['spooled']);
        self::assertSame($before + 2, $stats['published']);
        $types = array_map(static fn (AMQPMessage $m): string => (string) $m->get('type'), Broker::drain($world->config->prefix . '.exact'));
        self::assertContains('invoice.issued', $types);
        self::assertFileDoesNotExist($world->config->spoolDir . '/outbox.jsonl');
    }

    /**
     * A hook whose INSERT fails on HostFact's own connection (whose statement class would swallow the
     * error and return false) or whose code throws an Error (which HostFact would not catch) still
     * returns normally, and the rows wait in the spool instead of being lost.
     *
     * @dataProvider drivers
     */
    public function testHookSwallowsErrors(string $driver): void
    {
        $world = $this->world($driver);
        $world->db->pdo->exec('DROP TABLE hfexact_outbox'); // every INSERT now fails...
        $ids = SampleData::seed($world->hostfact);
        self::assertSame([], $world->hostfact->hooks->caughtExceptions);
        \hfexact_hook('invoice_is_sent', ['id' => 'x', 'InvoiceCode' => new \stdClass()]); // ... and bad input
        $answer = $world->hostfact->api('debtor', 'edit', ['Identifier' => $ids['bv'], 'City' => 'Haarlem']);
        self::assertSame('success', $answer['status']);
        $spooled = array_map(
            static fn (string $line): array => json_decode($line, true, 512, JSON_THROW_ON_ERROR),
            file($world->config->spoolDir . '/outbox.jsonl', FILE_IGNORE_NEW_LINES) ?: [],
        );
        self::assertSame(
            [$ids['bv'], $ids['consumer'], $ids['eu'], 'x', $ids['bv']],
            array_column($spooled, 'entity_id'),
            'every failed row waits in the spool: 3 debtors created, the bad invoice_is_sent, the edit',
        );
    }
}
