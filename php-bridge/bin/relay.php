<?php

declare(strict_types=1);

/*
 * php php-bridge/bin/relay.php [--once] [--daemon] [--no-poll]
 * Outbox -> RabbitMQ (<P>.events, confirms + mandatory) and the pollers for creditors, purchase
 * invoices and SDD batches. --once: one pass, exit 0 when the broker took everything, 75 when the
 * broker was down (rows wait). --daemon (default): run until SIGTERM/SIGINT.
 */

require __DIR__ . '/bootstrap.php';

use HostFactExact\Support\FileLock;
use HostFactExact\Support\Log;

$args = hfexact_args($argv, ['once', 'daemon', 'no-poll']);
$bridge = hfexact_bridge();
$relay = $bridge->relay();
$lock = new FileLock($bridge->lockPath('relay'));

if (isset($args['once'])) {
    if (!$lock->acquire(10.0)) {
        Log::info('relay.busy', ['note' => 'another relay holds the lock; it publishes these rows']);
        exit(0);
    }
    $stats = $relay->runOnce(!isset($args['no-poll']));
    $lock->release();
    Log::info('relay.pass_finished', $stats + ['backlog' => $bridge->outbox->backlog()]);
    exit($stats['broker_down'] ? 75 : 0);
}

if (!$lock->acquire(0.0)) {
    fwrite(STDERR, "another relay daemon runs for this installation\n");
    exit(1);
}
$stop = false;
pcntl_async_signals(true);
pcntl_signal(SIGTERM, static function () use (&$stop): void { $stop = true; });
pcntl_signal(SIGINT, static function () use (&$stop): void { $stop = true; });
Log::info('relay.started', ['broker' => $bridge->config->amqp->describe(), 'prefix' => $bridge->config->prefix]);

$down = 0;
$lastPoll = 0.0;
while (!$stop) {
    $poll = !isset($args['no-poll']) && microtime(true) - $lastPoll >= 30.0;
    try {
        $stats = $relay->runOnce($poll);
    } catch (Throwable $e) {
        Log::error('relay.pass_failed', ['error' => $e->getMessage()]);
        $stats = ['broker_down' => true, 'published' => 0];
    }
    if ($poll) {
        $lastPoll = microtime(true);
    }
    $down = $stats['broker_down'] ? min($down + 1, 5) : 0;
    $sleep = $down > 0 ? min(30.0, 2 ** $down) : ($stats['published'] > 0 ? 0.0 : $bridge->config->pollSeconds);
    $until = microtime(true) + $sleep;
    while (!$stop && microtime(true) < $until) {
        usleep(100_000);
    }
}
Log::info('relay.stopped');
