<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Unit;

use HostFactExact\Amqp\Topology;
use HostFactExact\Config;
use HostFactExact\Exception\ConfigError;
use PHPUnit\Framework\TestCase;

final class ConfigTest extends TestCase
{
    /** The documented defaults apply when only the database is given. */
    public function testDefaults(): void
    {
        $config = Config::fromEnv(['HFEXACT_DB_DSN' => 'sqlite::memory:']);
        self::assertSame('hostfact', $config->prefix);
        self::assertSame('hf-main', $config->installation);
        self::assertSame('127.0.0.1', $config->amqp->host);
        self::assertSame(5672, $config->amqp->port);
        self::assertSame('/', $config->amqp->vhost);
        self::assertStringNotContainsString('guest:guest', $config->amqp->describe());
        self::assertSame('hostfact', $config->hookConnection);
    }

    /** Every problem is reported in one error. */
    public function testAllProblemsAtOnce(): void
    {
        try {
            Config::fromEnv(['HFEXACT_AMQP_URL' => 'http://x', 'HFEXACT_AMQP_PREFIX' => 'a b', 'HFEXACT_POLL_SECONDS' => '-1', 'HFEXACT_HOOK_CONNECTION' => 'shared']);
            self::fail('expected ConfigError');
        } catch (ConfigError $e) {
            foreach (['HFEXACT_AMQP_URL', 'HFEXACT_AMQP_PREFIX', 'HFEXACT_DB_DSN', 'HFEXACT_POLL_SECONDS', 'HFEXACT_HOOK_CONNECTION'] as $key) {
                self::assertStringContainsString($key, $e->getMessage());
            }
        }
    }

    /** The topology names follow the prefix; the worker's queue dead-letters with at-least-once. */
    public function testTopologyNames(): void
    {
        $topology = new Topology('hostfact');
        self::assertSame(['hostfact.events', 'hostfact.retry', 'hostfact.dead', 'hostfact.results'], array_keys($topology->exchanges()));
        self::assertSame('at-least-once', $topology->queues()['hostfact.exact']['x-dead-letter-strategy']);
        self::assertSame('reject-publish', $topology->queues()['hostfact.exact']['x-overflow']);
    }
}
