<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Support;

use PHPUnit\Framework\TestCase;

/** Base for functional tests: a fresh world per test, cleaned up after. */
abstract class WorldTestCase extends TestCase
{
    /** @var list<TestEnv> */
    private array $worlds = [];

    protected function world(string $driver = 'sqlite', array $env = []): TestEnv
    {
        $world = TestEnv::create($driver, $env);
        $this->worlds[] = $world;
        return $world;
    }

    protected function tearDown(): void
    {
        foreach ($this->worlds as $world) {
            $world->cleanup();
        }
        $this->worlds = [];
    }

    /** @return array<string, array{string}> */
    public static function drivers(): array
    {
        return ['SQLite' => ['sqlite'], 'MariaDB' => ['mysql']];
    }

    /** @return list<array<string, mixed>> */
    protected function outboxRows(TestEnv $world): array
    {
        return $world->db->all('SELECT * FROM hfexact_outbox ORDER BY id');
    }
}
