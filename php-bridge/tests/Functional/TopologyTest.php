<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\TestEnv;
use PHPUnit\Framework\TestCase;

/**
 * PHP and Python declare the same topology with the same arguments: whichever side comes first,
 * the other's declaration is accepted by the real broker (a mismatch is PRECONDITION_FAILED).
 */
final class TopologyTest extends TestCase
{
    private static function python(string $prefix, string $action): array
    {
        $script = <<<'PY'
import sys, pika
from hfexact.amqp.topology import declare, plan
url, prefix, action = sys.argv[1:4]
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
if action == "declare":
    declare(channel, prefix)
else:
    topo = plan(prefix)
    for q in topo.queues:
        channel.queue_delete(q.name)
    for e in topo.exchanges:
        channel.exchange_delete(e.name)
connection.close()
print("ok")
PY;
        $python = dirname(__DIR__, 3) . '/.venv/bin/python';
        $url = TestEnv::env('HFEXACT_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672/%2F');
        $process = proc_open([$python, '-c', $script, $url, $prefix, $action], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($process), (string) $out];
    }

    /** PHP first, then Python: Python's declaration is accepted. */
    public function testPhpThenPython(): void
    {
        $prefix = TestEnv::prefix();
        try {
            Broker::declare($prefix);
            [$code, $out] = self::python($prefix, 'declare');
            self::assertSame(0, $code, $out);
        } finally {
            self::python($prefix, 'delete');
        }
    }

    /** Python first, then PHP: PHP's declaration is accepted. */
    public function testPythonThenPhp(): void
    {
        $prefix = TestEnv::prefix();
        try {
            [$code, $out] = self::python($prefix, 'declare');
            self::assertSame(0, $code, $out);
            Broker::declare($prefix);
            Broker::declare($prefix);
            $this->addToAssertionCount(1);
        } finally {
            self::python($prefix, 'delete');
        }
    }
}
