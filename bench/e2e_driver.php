<?php

declare(strict_types=1);

/*
 * php bench/e2e_driver.php --invoices N [--rate PER_SECOND]
 *
 * The PHP half of the hook -> Exact latency benchmark (bench/latency.py starts it and reads it).
 * A HostFact stand-in world on the real MariaDB (fresh database) with the bridge's hooks, sample
 * debtors and N concept invoices. Each invoice is then sent as HostFact sends it: one "request"
 * calls internalAPI('invoice', 'sendbyemail') (invoice_is_sent fires inside, the hook writes one
 * outbox row), and after the response the same process runs one relay pass on its own database
 * connection, exactly what HookRuntime::publishAfterResponse does under PHP-FPM (CLI has no
 * fastcgi_finish_request, so the pass is called here). Invoices start at a fixed rate (open loop).
 *
 * Environment: HFEXACT_AMQP_URL, HFEXACT_AMQP_PREFIX, HFEXACT_INSTALLATION (the Python side's).
 * Protocol on stdout, one JSON object a line:
 *   {"ready": ..., "published": n}    setup done (seeding's debtor events published); waits "go"
 *   {"invoices": [{code, hook_at, request_ms, published_at}, ...]}; waits "bye"
 * then the world (database, queues of the prefix) is removed.
 */

require __DIR__ . '/../php-bridge/tests/bootstrap.php';

use HostFactExact\Bridge;
use HostFactExact\Db\Database;
use HostFactExact\HostFact\InternalApi;
use HostFactExact\Support\FileLock;
use HostFactExact\Tests\Support\TestEnv;
use HostFactStandIn\SampleData;

\HostFactExact\Support\Log::sendTo(static function (string $line): void {
});
$options = getopt('', ['invoices:', 'rate:']);
$count = max(1, (int) ($options['invoices'] ?? 100));
$rate = max(0.1, (float) ($options['rate'] ?? 20));

$env = [];
foreach (['HFEXACT_AMQP_URL', 'HFEXACT_AMQP_PREFIX', 'HFEXACT_INSTALLATION'] as $key) {
    $value = getenv($key);
    if (is_string($value) && $value !== '') {
        $env[$key] = $value;
    }
}
$world = TestEnv::create('mysql', $env);

/**
 * One relay pass after the response, on the bridge's own connections (as under PHP-FPM, where the
 * request's end closes them; this process lives on, so they are closed here explicitly).
 */
function after_response_pass(TestEnv $world): int
{
    $config = $world->config;
    $db = Database::connect($config->dbDsn, $config->dbUser, $config->dbPassword);
    $bridge = new Bridge($config, $db, new InternalApi());
    $lock = new FileLock($bridge->lockPath('relay'));
    $published = 0;
    if ($lock->acquire(0.0)) {
        $publisher = $bridge->publisher();
        try {
            $published = $bridge->relay($publisher)->runOnce(false, 5)['published'];
        } finally {
            $publisher->close();
            $lock->release();
        }
    }
    unset($bridge, $db);
    gc_collect_cycles();
    return $published;
}

function wait_for(string $word): void
{
    while (($line = fgets(STDIN)) !== false) {
        if (trim($line) === $word) {
            return;
        }
    }
}

try {
    $ids = SampleData::seed($world->hostfact);
    $debtors = [$ids['bv'], $ids['consumer'], $ids['eu']];
    $concepts = [];
    for ($i = 0; $i < $count; $i++) {
        $concepts[] = SampleData::conceptInvoice($world->hostfact, $debtors[$i % 3], 1 + $i % 3);
    }
    $published = 0;
    $publisher = $world->bridge->publisher();
    do {
        $stats = $world->bridge->relay($publisher)->runOnce(false);
        $published += $stats['published'];
    } while ($stats['published'] > 0);
    $publisher->close();
    echo json_encode(['ready' => true, 'published' => $published, 'prefix' => $world->config->prefix]), "\n";
    wait_for('go');

    $rows = [];
    $start = microtime(true);
    foreach ($concepts as $i => $id) {
        $due = $start + $i / $rate;
        $now = microtime(true);
        if ($due > $now) {
            usleep((int) (($due - $now) * 1e6));
        }
        $t0 = microtime(true);
        $answer = $world->hostfact->api('invoice', 'sendbyemail', ['Identifier' => $id]);
        $t1 = microtime(true);
        after_response_pass($world);
        $t2 = microtime(true);
        $rows[] = [
            'code' => (string) $answer['invoice']['InvoiceCode'],
            'hook_at' => $t0,
            'request_ms' => round(($t1 - $t0) * 1000, 3),
            'published_at' => $t2,
        ];
    }
    echo json_encode(['invoices' => $rows]), "\n";
    wait_for('bye');
} finally {
    $world->cleanup();
}
