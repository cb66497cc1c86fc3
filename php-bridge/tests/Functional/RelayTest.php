<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Amqp\AmqpEndpoint;
use HostFactExact\Outbox\Outbox;
use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\Validator;
use HostFactExact\Tests\Support\WorldTestCase;
use HostFactStandIn\SampleData;
use PhpAmqpLib\Message\AMQPMessage;

/** Hooks -> outbox -> relay -> the real RabbitMQ, on MariaDB and on SQLite. */
final class RelayTest extends WorldTestCase
{
    /**
     * Published events carry message_id = envelope id, type, JSON, persistent, and validate.
     *
     * @dataProvider drivers
     */
    public function testRelayPublishesValidEventsWithConfirms(string $driver): void
    {
        $world = $this->world($driver);
        $hf = $world->hostfact;
        $ids = SampleData::seed($hf);
        $invoice = SampleData::conceptInvoice($hf, $ids['bv']);
        $hf->api('invoice', 'sendbyemail', ['Identifier' => $invoice]);
        $hf->api('invoice', 'sendbyemail', ['Identifier' => $invoice]); // a resend: no second invoice.issued

        $stats = $world->bridge->relay()->runOnce();
        self::assertFalse($stats['broker_down'], $stats['error']);
        self::assertSame(0, $world->bridge->outbox->backlog());

        $messages = Broker::drain($world->config->prefix . '.exact');
        $types = array_map(static fn (AMQPMessage $m): string => (string) $m->get('type'), $messages);
        self::assertSame(['debtor.upserted', 'debtor.upserted', 'debtor.upserted', 'invoice.issued'], $types);
        $bodies = [];
        foreach ($messages as $i => $message) {
            $envelope = json_decode($message->getBody(), true, 512, JSON_THROW_ON_ERROR);
            self::assertSame($envelope['id'], $message->get('message_id'));
            self::assertSame($envelope['type'], $message->get('type'));
            self::assertSame('application/json', $message->get('content_type'));
            self::assertSame(AMQPMessage::DELIVERY_MODE_PERSISTENT, $message->get('delivery_mode'));
            self::assertSame($envelope['type'], $message->getRoutingKey());
            $bodies["$i"] = $message->getBody();
        }
        $issued = json_decode(end($bodies), true);
        self::assertMatchesRegularExpression('/^F\d{8}$/', $issued['data']['InvoiceCode'], 'the final code, not the concept code');
        self::assertSame(['Hosting'], $issued['related']['product_groups']['P0001']);
        self::assertSame('NL123456789B01', $issued['related']['debtor']['TaxNumber']);
        [$code, $output] = Validator::validateBodies($world->dir . '/published', $bodies);
        self::assertSame(0, $code, $output);
        $sent = array_column($this->outboxRows($world), 'status');
        self::assertSame(array_fill(0, 4, Outbox::SENT), $sent);
    }

    /** A record deleted before the relay reads it is marked gone with the reason, not retried forever. */
    public function testRecordThatNoLongerExistsIsMarkedGone(): void
    {
        $world = $this->world();
        $world->bridge->outbox->record('debtor.upserted', 'debtor', '999', ['hook' => 'debtor_is_edited']);
        $world->db->run('UPDATE hfexact_outbox SET created_at = created_at - 3600');
        $stats = $world->bridge->relay()->runOnce();
        self::assertSame(1, $stats['gone']);
        $row = $this->outboxRows($world)[0];
        self::assertSame(Outbox::GONE, $row['status']);
        self::assertStringContainsString('not found', (string) $row['last_error']);
        self::assertSame([], Broker::drain($world->config->prefix . '.exact'));
    }

    /** A fresh row whose record is not readable yet (uncommitted) waits instead of being dropped. */
    public function testYoungMissingRecordWaits(): void
    {
        $world = $this->world();
        $world->bridge->outbox->record('invoice.issued', 'invoice', '4242', ['hook' => 'invoice_is_sent'], 'invoice.issued:4242');
        $stats = $world->bridge->relay()->runOnce();
        self::assertSame(1, $stats['retried']);
        self::assertSame(Outbox::PENDING, $this->outboxRows($world)[0]['status']);
    }

    /** The pollers find creditors, purchase invoices and downloaded SDD batches (no hooks exist for them). */
    public function testPollersPublishWhatHasNoHooks(): void
    {
        $world = $this->world('mysql');
        $hf = $world->hostfact;
        $ids = SampleData::seed($hf);
        $world->bridge->pollers()->startCursors('2000-01-01 00:00:00');
        $hf->api('creditinvoice', 'add', ['Creditor' => $ids['creditor'], 'InvoiceCode' => 'INK-1', 'InvoiceLines' => [
            ['Description' => 'Rackhuur', 'Number' => '1', 'PriceExcl' => '100', 'TaxPercentage' => 21],
        ]]);
        $invoice = SampleData::conceptInvoice($hf, $ids['bv'], 1);
        $hf->api('invoice', 'sendbyemail', ['Identifier' => $invoice]);
        $batch = $hf->sdd->createBatch('2026-12-01', [$invoice]);
        $relay = $world->bridge->relay();
        $relay->runOnce();
        $hf->sdd->setStatus($batch, 'downloaded');
        $relay->runOnce();
        $relay->runOnce(); // polling again finds nothing new

        $types = array_map(static fn (AMQPMessage $m): string => (string) $m->get('type'), Broker::drain($world->config->prefix . '.exact'));
        self::assertSame(1, count(array_keys($types, 'creditor.upserted', true)));
        self::assertSame(1, count(array_keys($types, 'purchase_invoice.received', true)));
        self::assertSame(1, count(array_keys($types, 'sdd_batch.downloaded', true)));
    }

    /** A switched-off kind is skipped with the reason. */
    public function testSwitchedOffKindIsSkipped(): void
    {
        $world = $this->world();
        $settings = $world->bridge->settings->current();
        $settings['enabled']['debtors'] = false;
        $world->bridge->settings->save($settings);
        SampleData::seed($world->hostfact);
        $world->bridge->relay()->runOnce(false);
        $rows = $this->outboxRows($world);
        self::assertSame([Outbox::SKIPPED], array_values(array_unique(array_column($rows, 'status'))));
        self::assertStringContainsString('switched off', (string) $rows[0]['last_error']);
    }

    /** relay.php --once against a dead broker exits 75 and leaves the rows waiting. */
    public function testRelayScriptWithDeadBroker(): void
    {
        $world = $this->world();
        SampleData::seed($world->hostfact);
        [$code, , $stderr] = $world->runScript('relay.php', ['--once'], ['HFEXACT_AMQP_URL' => Broker::closedPortUrl()]);
        self::assertSame(75, $code, $stderr);
        self::assertSame(3, $world->bridge->outbox->backlog());
        [$code, , $stderr] = $world->runScript('relay.php', ['--once']);
        self::assertSame(0, $code, $stderr);
        self::assertSame(0, $world->bridge->outbox->backlog());
        $types = array_map(static fn (AMQPMessage $m): string => (string) $m->get('type'), Broker::drain($world->config->prefix . '.exact'));
        self::assertSame(['debtor.upserted', 'debtor.upserted', 'debtor.upserted'], array_values(array_filter($types, static fn ($t) => $t === 'debtor.upserted')));
    }
}
