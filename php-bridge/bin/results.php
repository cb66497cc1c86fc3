<?php

declare(strict_types=1);

/*
 * php php-bridge/bin/results.php [--once] [--idle SECONDS]
 * <P>.bridge.results -> HostFact (markaspaid / partpayment / markasunpaid; export and settings
 * results stored for the settings page). One consumer per installation (lock), one message at a time.
 */

require __DIR__ . '/bootstrap.php';

use HostFactExact\Support\FileLock;
use HostFactExact\Support\Log;

$args = hfexact_args($argv, ['once'], ['idle']);
$bridge = hfexact_bridge();
$lock = new FileLock($bridge->lockPath('results'));
if (!$lock->acquire(isset($args['once']) ? 10.0 : 0.0)) {
    fwrite(STDERR, "another results consumer runs for this installation\n");
    exit(isset($args['once']) ? 0 : 1);
}
$consumer = $bridge->resultsConsumer();
if (!isset($args['once'])) {
    pcntl_async_signals(true);
    pcntl_signal(SIGTERM, static fn () => $consumer->stop());
    pcntl_signal(SIGINT, static fn () => $consumer->stop());
}
$failures = 0;
do {
    try {
        $counts = $consumer->run(isset($args['once']), (float) ($args['idle'] ?? 2.0));
        Log::info('results.pass_finished', ['outcomes' => $counts]);
        $failures = 0;
    } catch (Throwable $e) {
        Log::error('results.broker_unavailable', ['error' => $e->getMessage()]);
        if (isset($args['once'])) {
            exit(75);
        }
        sleep(min(30, 2 ** min(5, ++$failures)));
    }
} while (!isset($args['once']) && !$consumer->isStopping());
