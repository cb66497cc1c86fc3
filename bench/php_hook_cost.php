<?php

declare(strict_types=1);

/*
 * php bench/php_hook_cost.php [--hooks N] [--events N] [--requests N]
 *
 * 1. The cost a bridge hook adds to HostFact's request: hfexact_hook('invoice_is_sent', ...) as
 *    HostFact calls it (one outbox INSERT), on MariaDB (real server, fresh database) and SQLite,
 *    median and p99 over N calls after a warm-up, in these situations:
 *    - hostfact_autocommit: through HostFact's own open connection, no transaction open (the INSERT
 *      commits on its own: one redo-log flush on MariaDB);
 *    - hostfact_in_transaction: through HostFact's connection inside HostFact's transaction (HostFact
 *      updates a debtor, the hook fires, HostFact commits); also HostFact's own UPDATE in the same
 *      transaction (a statement of the same kind, for comparison) and HostFact's COMMIT with and
 *      without the hook's row, i.e. what the row adds to the commit;
 *    - first_call: the first hook of a fresh request (connection lookup + statement prepare);
 *    - own_connection (HFEXACT_HOOK_CONNECTION=own, the fallback): first call with connect, warm calls.
 *    Floors on this machine: a hook that writes nothing, and SELECT 1 on HostFact's connection.
 *    On MariaDB also the log flushes per hook (Innodb_data_fsyncs; a server-wide counter) and the raw
 *    fdatasync latency of the disk under /var/tmp, to show where the autocommit time goes.
 * 2. Relay throughput with publisher confirms on the real RabbitMQ: outbox rows -> internalAPI show
 *    -> envelope -> publish + confirm -> mark sent, in events per second; and the raw publisher alone.
 * Uses a unique AMQP prefix and database, removed afterwards. Prints the numbers (and JSON last).
 */

require __DIR__ . '/../php-bridge/tests/bootstrap.php';

use HostFactExact\Config;
use HostFactExact\Db\Database;
use HostFactExact\Hook\HookRuntime;
use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\TestEnv;
use HostFactStandIn\SampleData;

\HostFactExact\Support\Log::sendTo(static function (string $line): void {
});
$options = getopt('', ['hooks:', 'events:', 'requests:']);
$hooks = max(100, (int) ($options['hooks'] ?? 2000));
$events = (int) ($options['events'] ?? 1000);
$requests = max(10, (int) ($options['requests'] ?? 100));
$warmup = 200;

/**
 * @param list<float> $samples ms
 * @return array{n: int, median_ms: float, p99_ms: float, max_ms: float}
 */
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

function line(string $label, array $s): void
{
    printf("  %-44s median %7.3f ms   p99 %7.3f ms   max %7.3f ms   (n=%d)\n", $label, $s['median_ms'], $s['p99_ms'], $s['max_ms'], $s['n']);
}

function ms(int $since): float
{
    return (hrtime(true) - $since) / 1e6;
}

/** One invoice_is_sent hook as HostFact fires it (a new invoice each time: one INSERT). */
function sendHook(int $i): float
{
    static $next = 0;
    $id = (string) (1_000_000 + ++$next);
    $t = hrtime(true);
    hfexact_hook('invoice_is_sent', ['id' => $id, 'Debtor' => '1', 'InvoiceCode' => 'F' . $id, 'viaMail' => true, 'viaPost' => false, 'Sent' => '1']);
    return ms($t);
}

function fsyncs(Database $db): int
{
    return (int) $db->one("SHOW GLOBAL STATUS LIKE 'Innodb_data_fsyncs'")['Value'];
}

$results = [];
foreach (['mysql' => 'MariaDB', 'sqlite' => 'SQLite'] as $driver => $label) {
    $world = TestEnv::create($driver);
    try {
        $host = \Database_Model::getInstance(); // HostFact's own connection, open since the request began
        $ids = SampleData::seed($world->hostfact);
        $debtor = (int) $ids['bv'];
        $r = [];
        echo "$label\n";

        for ($i = 0; $i < $warmup; $i++) {
            sendHook($i);
        }
        // first hook of a fresh request: HostFact's connection is looked up, the INSERT prepared
        $first = [];
        for ($i = 0; $i < $requests; $i++) {
            HookRuntime::reset($world->config);
            $first[] = sendHook($i);
        }
        line('first call of a request (HostFact conn.)', $r['first_call'] = stats($first));

        // warm, autocommit: each INSERT commits on its own
        $samples = [];
        $f0 = $driver === 'mysql' ? fsyncs($world->db) : 0;
        for ($i = 0; $i < $hooks; $i++) {
            $samples[] = sendHook($i);
        }
        $r['hostfact_autocommit'] = stats($samples);
        if ($driver === 'mysql') {
            $r['hostfact_autocommit']['log_fsyncs_per_hook'] = round((fsyncs($world->db) - $f0) / $hooks, 2);
        }
        line('HostFact conn., autocommit', $r['hostfact_autocommit']);

        // inside HostFact's transaction: HostFact changes a debtor, the hook fires, HostFact commits
        $update = $world->db->prepare('UPDATE HostFact_Debtors SET Modified = ? WHERE id = ?');
        $transaction = static function (bool $withHook, int $i) use ($host, $update, $debtor): array {
            static $change = 0;
            $change++; // a new value each time: a real change, so the COMMIT has something to flush
            $host->beginTransaction();
            $t = hrtime(true);
            Database::execute($update, [sprintf('2026-%02d-%02d %02d:%02d:%02d', 1 + intdiv($change, 86400 * 28) % 12, 1 + intdiv($change, 86400) % 28, intdiv($change, 3600) % 24, intdiv($change, 60) % 60, $change % 60), $debtor]);
            $own = ms($t);
            $hook = $withHook ? sendHook($i) : 0.0;
            $t = hrtime(true);
            $host->commit();
            return [$hook, ms($t), $own];
        };
        for ($i = 0; $i < $warmup; $i++) {
            $transaction(true, $i);
            $transaction(false, $i);
        }
        $hookIn = $commitWith = $commitWithout = $hostUpdate = [];
        $fWith = $fWithout = 0;
        for ($i = 0; $i < $hooks; $i++) {
            $f0 = $driver === 'mysql' ? fsyncs($world->db) : 0;
            [$hookIn[], $commitWith[], $hostUpdate[]] = $transaction(true, $i);
            $f1 = $driver === 'mysql' ? fsyncs($world->db) : 0;
            [, $commitWithout[]] = $transaction(false, $i);
            $f2 = $driver === 'mysql' ? fsyncs($world->db) : 0;
            $fWith += $f1 - $f0;
            $fWithout += $f2 - $f1;
        }
        $r['hostfact_in_transaction'] = stats($hookIn);
        $r['hostfact_own_update_in_transaction'] = stats($hostUpdate);
        $r['hostfact_commit_with_hook_row'] = stats($commitWith);
        $r['hostfact_commit_without_hook_row'] = stats($commitWithout);
        if ($driver === 'mysql') {
            // the counter is server-wide: other sessions' flushes land in both columns alike
            $r['hostfact_in_transaction']['log_fsyncs_per_transaction_with_hook'] = round($fWith / $hooks, 2);
            $r['hostfact_in_transaction']['log_fsyncs_per_transaction_without_hook'] = round($fWithout / $hooks, 2);
        }
        line('HostFact conn., inside HostFact\'s transaction', $r['hostfact_in_transaction']);
        line('  HostFact\'s own UPDATE just before (compare)', $r['hostfact_own_update_in_transaction']);
        line('  HostFact\'s COMMIT with the hook\'s row', $r['hostfact_commit_with_hook_row']);
        line('  HostFact\'s COMMIT without a hook', $r['hostfact_commit_without_hook_row']);

        // floors on this machine: a hook that writes nothing (pure PHP: scheduling noise of a busy
        // 2-core box) and one round trip on HostFact's connection (SELECT 1)
        $samples = [];
        for ($i = 0; $i < $hooks; $i++) {
            $t = hrtime(true);
            hfexact_hook('product_is_created', ['id' => (string) $i]);
            $samples[] = ms($t);
        }
        line('floor: hook that writes nothing', $r['floor_hook_without_write'] = stats($samples));
        $select = $world->db->prepare('SELECT 1');
        $samples = [];
        for ($i = 0; $i < $hooks; $i++) {
            $t = hrtime(true);
            Database::execute($select)->fetchAll();
            $samples[] = ms($t);
        }
        line('floor: SELECT 1 on HostFact\'s connection', $r['floor_select_1'] = stats($samples));

        // the fallback: the bridge's own connection (connect once per request)
        $own = Config::fromEnv(['HFEXACT_HOOK_CONNECTION' => 'own'] + array_filter([
            'HFEXACT_DB_DSN' => $world->dsn, 'HFEXACT_DB_USER' => $world->config->dbUser, 'HFEXACT_DB_PASSWORD' => $world->config->dbPassword,
            'HFEXACT_SPOOL_DIR' => $world->config->spoolDir, 'HFEXACT_AMQP_PREFIX' => $world->config->prefix,
        ]));
        $first = [];
        for ($i = 0; $i < $requests; $i++) {
            HookRuntime::reset($own);
            $first[] = sendHook($i);
        }
        line('own connection: first call (connects)', $r['own_first_call_with_connect'] = stats($first));
        $samples = [];
        for ($i = 0; $i < $hooks; $i++) {
            $samples[] = sendHook($i);
        }
        line('own connection: warm, autocommit', $r['own_autocommit'] = stats($samples));
        HookRuntime::reset($world->config);

        $expected = 3 + 2 * $requests + 2 * $warmup + 3 * $hooks; // seed debtors + hooks
        $r['outbox_rows'] = (int) $world->db->run('SELECT COUNT(*) FROM hfexact_outbox')->fetchColumn();
        if ($r['outbox_rows'] !== $expected) {
            fwrite(STDERR, "expected $expected outbox rows, found {$r['outbox_rows']} (spooled?)\n");
            exit(1);
        }

        if ($driver === 'mysql') {
            $r['innodb_flush_log_at_trx_commit'] = (int) $world->db->run('SELECT @@innodb_flush_log_at_trx_commit')->fetchColumn();
            $r['log_bin'] = (int) $world->db->run('SELECT @@log_bin')->fetchColumn();
            // raw fdatasync of a 512-byte append on this machine's disk (the redo log lives on the same one)
            $file = tempnam('/var/tmp', 'hfexact-fsync-');
            $handle = fopen($file, 'w');
            $sync = [];
            for ($i = 0; $i < $hooks; $i++) {
                fwrite($handle, str_repeat('x', 512));
                $t = hrtime(true);
                fdatasync($handle);
                $sync[] = ms($t);
            }
            fclose($handle);
            unlink($file);
            line('raw fdatasync (512 B append, /var/tmp)', $r['raw_fdatasync'] = stats($sync));

            $invoices = [];
            for ($i = 0; $i < 20; $i++) {
                $id = SampleData::conceptInvoice($world->hostfact, $ids['bv']);
                $world->hostfact->api('invoice', 'sendbyemail', ['Identifier' => $id]);
            }
            $world->db->pdo->exec('DELETE FROM hfexact_outbox');
            $debtors = [$ids['bv'], $ids['consumer'], $ids['eu']];
            for ($i = 0; $i < $events; $i++) {
                $world->bridge->outbox->record('debtor.upserted', 'debtor', (string) $debtors[$i % 3], ['hook' => 'bench']);
            }
            Broker::declare($world->config->prefix);
            $relay = $world->bridge->relay(null, 200);
            $t = hrtime(true);
            $stats = $relay->runOnce(false);
            $seconds = (hrtime(true) - $t) / 1e9;
            $r['relay_events_per_second'] = round($stats['published'] / $seconds, 1);
            printf("  relay: %d events (internalAPI show + envelope + publish with confirms + mark sent) in %.2f s: %.0f events/s\n", $stats['published'], $seconds, $stats['published'] / $seconds);

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
            $r['publisher_confirmed_per_second'] = round($events / $seconds, 1);
            printf("  publisher: %d messages of 3 KB, batches of 200, confirms: %.0f messages/s\n", $events, $events / $seconds);
        }
        $results[$driver] = $r;
    } finally {
        $world->cleanup();
    }
}
echo json_encode($results, JSON_PRETTY_PRINT), "\n";
