<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Hook\HookRuntime;
use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\WorldTestCase;
use HostFactStandIn\SampleData;

/**
 * The relay pass that runs after the response under PHP-FPM (HookRuntime::relayAfterResponse):
 * it publishes what the request recorded and leaves no broker connection behind, however many
 * requests one long-lived process serves.
 */
final class RelayAfterResponseTest extends WorldTestCase
{
    public function testEachPassPublishesAndClosesItsBrokerConnection(): void
    {
        $world = $this->world('sqlite');
        Broker::declare($world->config->prefix);
        $ids = SampleData::seed($world->hostfact);
        $before = Broker::openConnectionsOfThisProcess();
        $published = 0;
        for ($request = 1; $request <= 3; $request++) {
            HookRuntime::reset($world->config); // a fresh request in the same process
            $world->hostfact->api('debtor', 'edit', ['Identifier' => $ids['bv'], 'City' => 'Zwolle ' . $request]);
            $published += HookRuntime::relayAfterResponse();
            self::assertSame($before, Broker::openConnectionsOfThisProcess(), "request $request left no broker connection open");
        }
        self::assertGreaterThanOrEqual(3, $published, 'the seeded debtors plus one edit per request');
        $pending = (int) $world->db->run("SELECT COUNT(*) FROM hfexact_outbox WHERE status = 'pending'")->fetchColumn();
        self::assertSame(0, $pending, 'every recorded row went out');
        $types = array_map(static fn ($m): string => (string) $m->get('type'), Broker::drain($world->config->prefix . '.exact'));
        self::assertCount($published, $types);
        self::assertSame(['debtor.upserted'], array_values(array_unique($types)));
    }

    public function testNothingRecordedMeansNoPass(): void
    {
        $world = $this->world('sqlite');
        $before = Broker::openConnectionsOfThisProcess();
        HookRuntime::reset($world->config); // a request whose hooks recorded nothing
        self::assertSame(0, HookRuntime::relayAfterResponse());
        self::assertSame($before, Broker::openConnectionsOfThisProcess());
    }
}
