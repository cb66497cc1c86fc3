<?php

declare(strict_types=1);

/*
 * php bench/php_hook_cost.php [--hooks N] [--events N]
 *
 * 1. The cost a bridge hook adds to HostFact's request: hfexact_hook('invoice_is_sent', ...) as
 *    HostFact calls it (one outbox INSERT), on MariaDB (real server, fresh database) and SQLite;
 *    median and p99 over N calls, plus the first call of a request (lazy connect).
 * 2. Relay throughput with publisher confirms on the real RabbitMQ: outbox rows -> internalAPI show
 *    -> envelope -> publish + confirm -> mark sent, in events per second; and the raw publisher alone.
 * Uses a unique AMQP prefix and database, removed afterwards. Prints the numbers (and JSON last).
 */

require __DIR__ . '/../php-bridge/tests/bootstrap.php';

use HostFactExact\Hook\HookRuntime;
use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\TestEnv;
use HostFactStandIn\SampleData;

\HostFactExact\Support\Log::sendTo(static function (string $line): void {
});
$options = getopt('', ['hooks:', 'events:']);
$hooks = (int) ($options['hooks'] ?? 2000);
$events = (int) ($options['events'] ?? 1000);

/** @param list<float> $samples ms */
function stats(array $samples): array
{
    sort($samples);
    $n = count($samples);
    return [
        'n' => $n,
        'median_ms' => round($samples[intdiv($n, 2)], 3),
        'p99_ms' => round($samples[min($n - 1, (int) ceil($n * 0.99) - 1)], 3),
        'max_ms' => round($samples[$n - 1], 3),
    ];
}

$results = [];
foreach (['mysql' => 'MariaDB', 'sqlite' => 'SQLite'] as $driver => $label) {
    $world = TestEnv::create($driver);
    try {
        // first call of a request: HookRuntime connects lazily
        HookRuntime::reset($world->config);
        $t = hrtime(true);
        hfexact_hook('invoice_is_sent', ['id' => '1', 'Debtor' => '1', 'InvoiceCode' => 'F1', 'Sent' => '1']);
        $first = (hrtime(true) - $t) / 1e6;
        $samples = [];
        for ($i = 2; $i <= $hooks + 1; $i++) {
            $params = ['id' => (string) $i, 'Debtor' => '1', 'InvoiceCode' => 'F' . $i, 'viaMail' => true, 'viaPost' => false, 'Sent' => '1'];
            $t = hrtime(true);
            hfexact_hook('invoice_is_sent', $params);
            $samples[] = (hrtime(true) - $t) / 1e6;
        }
        $rows = (int) $world->db->run('SELECT COUNT(*) FROM hfexact_outbox')->fetchColumn();
        $results["hook_$driver"] = stats($samples) + ['first_call_with_connect_ms' => round($first, 3), 'rows' => $rows];
        printf("hook cost %-8s median %.3f ms  p99 %.3f ms  max %.3f ms  first call (connect) %.3f ms  (%d calls, %d rows)\n",
            $label, $results["hook_$driver"]['median_ms'], $results["hook_$driver"]['p99_ms'], $results["hook_$driver"]['max_ms'], $first, count($samples), $rows);

        if ($driver === 'mysql') {
            $ids = SampleData::seed($world->hostfact);
            $invoices = [];
            for ($i = 0; $i < 20; $i++) {
                $id = SampleData::conceptInvoice($world->hostfact, $ids['bv']);
                $world->hostfact->api('invoice', 'sendbyemail', ['Identifier' => $id]);
            }
            $world->db->pdo->exec('DELETE FROM hfexact_outbox');
            $debtors = array_values($ids);
            for ($i = 0; $i < $events; $i++) {
                $world->bridge->outbox->record('debtor.upserted', 'debtor', (string) $debtors[$i % 3], ['hook' => 'bench']);
            }
            Broker::declare($world->config->prefix);
            $relay = $world->bridge->relay(null, 200);
            $t = hrtime(true);
            $stats = $relay->runOnce(false);
            $seconds = (hrtime(true) - $t) / 1e9;
            $results['relay_events_per_second'] = round($stats['published'] / $seconds, 1);
            printf("relay     %d events (internalAPI show + envelope + publish with confirms + mark sent) in %.2f s: %.0f events/s\n", $stats['published'], $seconds, $stats['published'] / $seconds);

            $publisher = $world->bridge->publisher();
            $body = str_repeat('x', 3000);
            $messages = [];
            for ($i = 0; $i < $events; $i++) {
                $messages[] = ['id' => \HostFactExact\Support\Uuid::v4(), 'type' => 'debtor.upserted', 'body' => $body];
            }
            $t = hrtime(true);
            foreach (array_chunk($messages, 200) as $chunk) {
                $publisher->publish($chunk);
            }
            $seconds = (hrtime(true) - $t) / 1e9;
            $publisher->close();
            $results['publisher_confirmed_per_second'] = round($events / $seconds, 1);
            printf("publisher %d messages of 3 KB, batches of 200, confirms: %.0f messages/s\n", $events, $events / $seconds);
        }
    } finally {
        $world->cleanup();
    }
}
echo json_encode($results, JSON_PRETTY_PRINT), "\n";
