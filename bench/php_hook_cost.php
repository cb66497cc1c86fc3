<?php

declare(strict_types=1);

/*
 * php bench/php_hook_cost.php [--hooks N] [--events N] [--requests N]
 *
 * 1. The cost a bridge hook adds to HostFact's request: hfexact_hook('invoice_is_sent', ...) as
 *    HostFact calls it (one outbox INSERT through HostFact's own connection), on MariaDB (real
 *    server, fresh database) and SQLite, median / p99 / p99.9 over N calls after a warm-up.
 *    All cases run INTERLEAVED, one of each per iteration, so a load spike of this shared machine
 *    hits all of them alike and the baselines (a SELECT 1 round trip, HostFact's own UPDATE, the
 *    disk's raw fdatasync) are measured at the same moments as the hook; the p99 is also given per
 *    quarter of the loop (a spike shows as one bad round):
 *    - hostfact_in_transaction: HostFact opens a transaction, updates a debtor, the hook fires
 *      (timed), HostFact commits (timed: commit_with_hook_row); then the same transaction without
 *      the hook (commit_without_hook_row): what the row adds to HostFact's COMMIT;
 *    - hostfact_autocommit: no transaction open, so the INSERT is a transaction of its own and its
 *      commit waits for the disk (MariaDB: one redo-log flush with innodb_flush_log_at_trx_commit=1;
 *      SQLite WAL, synchronous=FULL: one fsync of the WAL). Split into its two parts by running the
 *      same hook inside a transaction opened for the purpose: the hook's own work
 *      (autocommit_own_work: PHP + the INSERT round trip) and the flush its commit waits for
 *      (autocommit_flush), the disk's part, next to raw_fdatasync (512-byte append + fdatasync on
 *      the same filesystem);
 *    - floors: a hook that writes nothing, and SELECT 1 on HostFact's connection (one round trip).
 *    - first_call: the first hook of a fresh request (HookRuntime reset without a config, so it
 *      loads config.local.php, finds HostFact's connection, prepares the INSERT), as autocommit and
 *      split the same way (first_call_own_work / first_call_flush), in the first --requests
 *      iterations (default: all);
 *    - php_part: the hook's PHP work alone (HookRecorder mapping, event id, time, JSON), no database;
 *    - own_connection (HFEXACT_HOOK_CONNECTION=own, the fallback): first call with connect, warm calls.
 *    On MariaDB also the log flushes per hook (Innodb_data_fsyncs, a server-wide counter), in
 *    separate blocks so the counter reads stay out of the timed loop.
 * 2. Relay throughput with publisher confirms on the real RabbitMQ: outbox rows -> internalAPI show
 *    -> envelope -> publish + confirm -> mark sent, in events per second; and the raw publisher alone.
 * Uses a unique AMQP prefix and database, removed afterwards. Prints the numbers (and JSON last).
 */

require __DIR__ . '/../php-bridge/tests/bootstrap.php';

use HostFactExact\Config;
use HostFactExact\Db\Database;
use HostFactExact\Hook\HookRecorder;
use HostFactExact\Hook\HookRuntime;
use HostFactExact\Hook\SpoolingOutbox;
use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\TestEnv;
use HostFactStandIn\SampleData;

\HostFactExact\Support\Log::sendTo(static function (string $line): void {
});
$options = getopt('', ['hooks:', 'events:', 'requests:']);
$hooks = max(100, (int) ($options['hooks'] ?? 2000));
$events = (int) ($options['events'] ?? 1000);
$requests = max(10, (int) ($options['requests'] ?? $hooks)); // iterations that include a first hook
$warmup = 200;

/**
 * @param list<float> $samples ms
 * @return array{n: int, median_ms: float, p99_ms: float, p999_ms: float, max_ms: float}
 */
function stats(array $samples): array
{
    sort($samples);
    $n = count($samples);
    $at = static fn (float $q): float => round($samples[min($n - 1, max(0, (int) ceil($n * $q) - 1))], 3);
    return [
        'n' => $n,
        'median_ms' => round($samples[intdiv($n, 2)], 3),
        'p99_ms' => $at(0.99),
        'p999_ms' => $at(0.999),
        'max_ms' => round($samples[$n - 1], 3),
    ];
}

function line(string $label, array $s): void
{
    printf("  %-46s median %7.3f   p99 %7.3f   p99.9 %7.3f   max %7.3f ms  (n=%d)%s\n", $label, $s['median_ms'], $s['p99_ms'], $s['p999_ms'], $s['max_ms'], $s['n'],
        isset($s['p99_ms_per_round']) ? '  p99 per round ' . implode(' / ', array_map(static fn (float $v): string => sprintf('%.2f', $v), $s['p99_ms_per_round'])) : '');
}

function ms(int $since): float
{
    return (hrtime(true) - $since) / 1e6;
}

/** The parameters of one invoice_is_sent as HostFact fires it (a new invoice each time: one INSERT). */
function sendParameters(): array
{
    static $next = 0;
    $id = (string) (1_000_000 + ++$next);
    return ['id' => $id, 'Debtor' => '1', 'InvoiceCode' => 'F' . $id, 'viaMail' => true, 'viaPost' => false, 'Sent' => '1'];
}

function sendHook(): float
{
    $parameters = sendParameters();
    $t = hrtime(true);
    hfexact_hook('invoice_is_sent', $parameters);
    return ms($t);
}

function fsyncs(Database $db): int
{
    return (int) $db->one("SHOW GLOBAL STATUS LIKE 'Innodb_data_fsyncs'")['Value'];
}

/** A 512-byte append and its fdatasync (the disk's own flush latency, same filesystem as the databases). */
function rawFdatasync($handle): float
{
    fwrite($handle, str_repeat('x', 512));
    $t = hrtime(true);
    fdatasync($handle);
    return ms($t);
}

$results = [];
foreach (['mysql' => 'MariaDB', 'sqlite' => 'SQLite'] as $driver => $label) {
    $world = TestEnv::create($driver);
    $syncFile = tempnam('/var/tmp', 'hfexact-fsync-');
    $syncHandle = fopen($syncFile, 'w');
    try {
        $host = \Database_Model::getInstance(); // HostFact's own connection, open since the request began
        $ids = SampleData::seed($world->hostfact);
        $debtor = (int) $ids['bv'];
        $r = [];
        $written = 3; // the seeded debtors
        echo "$label\n";

        // the hook's PHP work alone: mapping, event id, time, JSON (no database)
        $samples = [];
        for ($i = 0; $i < $hooks + $warmup; $i++) {
            $parameters = sendParameters();
            $t = hrtime(true);
            $buffer = new SpoolingOutbox();
            (new HookRecorder($buffer))->record('invoice_is_sent', $parameters);
            json_encode((object) $buffer->rows[0]['params'], JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION);
            if ($i >= $warmup) {
                $samples[] = ms($t);
            }
        }
        line('PHP part only (no database)', $r['php_part'] = stats($samples));

        for ($i = 0; $i < $warmup; $i++) {
            sendHook();
            $written++;
        }

        // the first hook of a fresh request loads config.local.php (HookRuntime reset without a config)
        $configFile = $world->dir . '/config.local.php';
        file_put_contents($configFile, '<?php return ' . var_export(array_filter([
            'HFEXACT_DB_DSN' => $world->dsn, 'HFEXACT_DB_USER' => $world->config->dbUser, 'HFEXACT_DB_PASSWORD' => $world->config->dbPassword,
            'HFEXACT_SPOOL_DIR' => $world->config->spoolDir, 'HFEXACT_AMQP_PREFIX' => $world->config->prefix, 'HFEXACT_INSTALLATION' => 'hf-bench',
        ]), true) . ";\n");
        $freshRequest = static function () use ($configFile): void {
            putenv('HFEXACT_CONFIG_FILE=' . $configFile);
            HookRuntime::reset();
        };
        $warmRequest = static function () use ($world): void {
            putenv('HFEXACT_CONFIG_FILE');
            HookRuntime::reset($world->config);
        };

        // warm hooks: every case once per iteration, interleaved
        $update = $world->db->prepare('UPDATE HostFact_Debtors SET Modified = ? WHERE id = ?');
        $select = $world->db->prepare('SELECT 1');
        $change = 0;
        $hostUpdate = static function () use ($update, $debtor, &$change): float {
            $change++; // a new value each time: a real change, so the COMMIT has something to flush
            $t = hrtime(true);
            Database::execute($update, [date('Y-m-d H:i:s', 1_700_000_000 + $change), $debtor]);
            return ms($t);
        };
        $keys = ['hostfact_in_transaction', 'hostfact_own_update_in_transaction', 'hostfact_commit_with_hook_row',
            'hostfact_commit_without_hook_row', 'hostfact_autocommit', 'autocommit_own_work', 'autocommit_flush',
            'first_call', 'first_call_own_work', 'first_call_flush',
            'floor_select_1', 'floor_hook_without_write', 'raw_fdatasync'];
        $s = array_fill_keys($keys, []);
        $rounds = 4;
        $perRound = (int) ceil($hooks / $rounds);
        $gc = gc_status()['runs'];
        for ($i = 0; $i < $hooks + $warmup; $i++) {
            $m = [];
            // the first hook of a fresh request, as autocommit and split off its commit's flush
            if ($i < $requests + $warmup) {
                $freshRequest();
                $m['first_call'] = sendHook();
                $freshRequest();
                $host->beginTransaction();
                $m['first_call_own_work'] = sendHook();
                $t = hrtime(true);
                $host->commit();
                $m['first_call_flush'] = ms($t);
                $warmRequest();
                $written += 2;
            }
            // HostFact's transaction with the hook inside
            $host->beginTransaction();
            $m['hostfact_own_update_in_transaction'] = $hostUpdate();
            $m['hostfact_in_transaction'] = sendHook();
            $t = hrtime(true);
            $host->commit();
            $m['hostfact_commit_with_hook_row'] = ms($t);
            // the same transaction without a hook
            $host->beginTransaction();
            $hostUpdate();
            $t = hrtime(true);
            $host->commit();
            $m['hostfact_commit_without_hook_row'] = ms($t);
            // no transaction open: the INSERT commits on its own
            $m['hostfact_autocommit'] = sendHook();
            // the same, split: the hook's own work, then the flush of a commit holding only its row
            $host->beginTransaction();
            $m['autocommit_own_work'] = sendHook();
            $t = hrtime(true);
            $host->commit();
            $m['autocommit_flush'] = ms($t);
            // floors
            $t = hrtime(true);
            Database::execute($select)->fetchAll();
            $m['floor_select_1'] = ms($t);
            $t = hrtime(true);
            hfexact_hook('product_is_created', ['id' => (string) $i]);
            $m['floor_hook_without_write'] = ms($t);
            $m['raw_fdatasync'] = rawFdatasync($syncHandle);
            $written += 3;
            if ($i >= $warmup) {
                foreach ($m as $key => $value) {
                    $s[$key][intdiv($i - $warmup, $perRound)][] = $value;
                }
            }
        }
        $r['gc_runs_during_warm_loop'] = gc_status()['runs'] - $gc;
        foreach ($keys as $key) {
            // p99 over all samples, and per round (a quarter of the loop each: a load spike of the
            // shared machine shows as one bad round)
            $r[$key] = stats(array_merge(...$s[$key]));
            $r[$key]['p99_ms_per_round'] = array_map(static fn (array $round): float => stats($round)['p99_ms'], $s[$key]);
        }
        line('first hook of a request, autocommit', $r['first_call']);
        line('  its own work (inside a transaction)', $r['first_call_own_work']);
        line('  the commit\'s flush', $r['first_call_flush']);
        line('inside HostFact\'s transaction', $r['hostfact_in_transaction']);
        line('  HostFact\'s own UPDATE just before (compare)', $r['hostfact_own_update_in_transaction']);
        line('  HostFact\'s COMMIT with the hook\'s row', $r['hostfact_commit_with_hook_row']);
        line('  HostFact\'s COMMIT without a hook', $r['hostfact_commit_without_hook_row']);
        line('autocommit (the INSERT commits on its own)', $r['hostfact_autocommit']);
        line('  its own work (inside a transaction)', $r['autocommit_own_work']);
        line('  the commit\'s flush (the disk\'s part)', $r['autocommit_flush']);
        line('floor: SELECT 1 on HostFact\'s connection', $r['floor_select_1']);
        line('floor: hook that writes nothing', $r['floor_hook_without_write']);
        line('raw fdatasync (512 B append, /var/tmp)', $r['raw_fdatasync']);
        printf("  PHP cycle collections during the warm loop: %d\n", $r['gc_runs_during_warm_loop']);

        if ($driver === 'mysql') {
            // log flushes per operation (server-wide counter: other sessions' flushes count too)
            $block = 200;
            $f0 = fsyncs($world->db);
            for ($i = 0; $i < $block; $i++) {
                sendHook();
            }
            $f1 = fsyncs($world->db);
            for ($i = 0; $i < $block; $i++) {
                $host->beginTransaction();
                $hostUpdate();
                sendHook();
                $host->commit();
            }
            $f2 = fsyncs($world->db);
            for ($i = 0; $i < $block; $i++) {
                $host->beginTransaction();
                $hostUpdate();
                $host->commit();
            }
            $f3 = fsyncs($world->db);
            $written += 2 * $block;
            $r['hostfact_autocommit']['log_fsyncs_per_hook'] = round(($f1 - $f0) / $block, 2);
            $r['hostfact_in_transaction']['log_fsyncs_per_transaction_with_hook'] = round(($f2 - $f1) / $block, 2);
            $r['hostfact_in_transaction']['log_fsyncs_per_transaction_without_hook'] = round(($f3 - $f2) / $block, 2);
            printf("  log fsyncs: %.2f per autocommit hook; per HostFact transaction %.2f with the hook, %.2f without\n",
                $r['hostfact_autocommit']['log_fsyncs_per_hook'],
                $r['hostfact_in_transaction']['log_fsyncs_per_transaction_with_hook'],
                $r['hostfact_in_transaction']['log_fsyncs_per_transaction_without_hook']);
        }

        // the fallback: the bridge's own connection (connect once per request)
        $own = Config::fromEnv(['HFEXACT_HOOK_CONNECTION' => 'own'] + array_filter([
            'HFEXACT_DB_DSN' => $world->dsn, 'HFEXACT_DB_USER' => $world->config->dbUser, 'HFEXACT_DB_PASSWORD' => $world->config->dbPassword,
            'HFEXACT_SPOOL_DIR' => $world->config->spoolDir, 'HFEXACT_AMQP_PREFIX' => $world->config->prefix,
        ]));
        $first = [];
        for ($i = 0; $i < min($requests, 200); $i++) {
            HookRuntime::reset($own);
            $first[] = sendHook();
            $written++;
        }
        line('own connection: first call (connects)', $r['own_first_call_with_connect'] = stats($first));
        $samples = [];
        for ($i = 0; $i < $hooks; $i++) {
            $samples[] = sendHook();
            $written++;
        }
        line('own connection: warm, autocommit', $r['own_autocommit'] = stats($samples));
        HookRuntime::reset($world->config);

        $r['outbox_rows'] = (int) $world->db->run('SELECT COUNT(*) FROM hfexact_outbox')->fetchColumn();
        if ($r['outbox_rows'] !== $written) {
            fwrite(STDERR, "expected $written outbox rows, found {$r['outbox_rows']} (spooled?)\n");
            exit(1);
        }

        if ($driver === 'mysql') {
            $r['innodb_flush_log_at_trx_commit'] = (int) $world->db->run('SELECT @@innodb_flush_log_at_trx_commit')->fetchColumn();
            $r['log_bin'] = (int) $world->db->run('SELECT @@log_bin')->fetchColumn();

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
            $publisher = $world->bridge->publisher();
            $relay = $world->bridge->relay($publisher, 200);
            $t = hrtime(true);
            $stats = $relay->runOnce(false);
            $seconds = (hrtime(true) - $t) / 1e9;
            $publisher->close();
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
        fclose($syncHandle);
        @unlink($syncFile);
        $world->cleanup();
    }
}
echo json_encode($results, JSON_PRETTY_PRINT), "\n";
