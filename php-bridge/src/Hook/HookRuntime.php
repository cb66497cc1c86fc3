<?php

declare(strict_types=1);

namespace HostFactExact\Hook;

use HostFactExact\Bridge;
use HostFactExact\Config;
use HostFactExact\Db\Database;
use HostFactExact\Db\HostConnection;
use HostFactExact\HostFact\HostFactClient;
use HostFactExact\HostFact\InternalApi;
use HostFactExact\Outbox\Outbox;
use HostFactExact\Outbox\Spool;
use HostFactExact\Db\State;
use HostFactExact\Relay\Pollers;
use HostFactExact\Support\FileLock;
use HostFactExact\Support\Log;
use Throwable;

/**
 * What runs inside HostFact's request when a hook fires. Never throws: every Throwable is caught
 * and logged. Costs one prepared INSERT; no network.
 *
 * The INSERT goes through HostFact's own connection (HostConnection), so no connection is opened
 * and a hook inside HostFact's uncommitted transaction commits or rolls back with it. Without one
 * (HFEXACT_HOOK_CONNECTION=own, or no HostFact connection found) the bridge connects itself, lazily,
 * once per request. When the database is unreachable or the INSERT fails the row goes to the local
 * spool instead. The relay pass after the response and the cron pollers always use the bridge's own
 * connection: they never run inside, or leave anything in, HostFact's transaction.
 */
final class HookRuntime
{
    private static ?Config $config = null;
    private static ?Outbox $outbox = null;
    private static ?HookRecorder $recorder = null;
    private static ?Database $own = null;
    private static bool $connectFailed = false;
    private static bool $shutdownRegistered = false;

    /** @param array<mixed> $parameters */
    public static function handle(string $hook, array $parameters): void
    {
        try {
            if ($hook === 'cronjob_task') {
                self::cron();
                return;
            }
            $recorder = self::recorder();
            if ($recorder === null) {
                self::spool($hook, $parameters);
                return;
            }
            if ($recorder->record($hook, $parameters) === 'recorded') {
                self::publishAfterResponse();
            }
        } catch (Throwable $e) {
            Log::error('hook.failed', ['hook' => $hook, 'error' => get_class($e) . ': ' . $e->getMessage()]);
            try {
                self::spool($hook, $parameters);
            } catch (Throwable) {
            }
        }
    }

    /** Tests and long-running processes: forget the cached connection/config. */
    public static function reset(?Config $config = null, ?Database $db = null): void
    {
        self::$config = $config;
        self::$outbox = $db !== null ? new Outbox($db) : null;
        self::$recorder = self::$outbox !== null ? new HookRecorder(self::$outbox) : null;
        self::$own = $db !== null && !$db->borrowed ? $db : null;
        self::$connectFailed = false;
        self::$shutdownRegistered = false;
    }

    private static function config(): Config
    {
        return self::$config ??= Config::load();
    }

    private static function recorder(): ?HookRecorder
    {
        if (self::$recorder !== null) {
            return self::$recorder;
        }
        $host = self::config()->hookConnection === 'hostfact' ? HostConnection::find() : null;
        $db = $host !== null ? Database::borrow($host) : self::own();
        if ($db === null) {
            return null;
        }
        self::$outbox = new Outbox($db);
        return self::$recorder = new HookRecorder(self::$outbox);
    }

    /** The bridge's own connection, opened at most once per request (a dead database is tried once). */
    private static function own(): ?Database
    {
        if (self::$own !== null || self::$connectFailed) {
            return self::$own;
        }
        $config = self::config();
        try {
            return self::$own = Database::connect($config->dbDsn, $config->dbUser, $config->dbPassword, 1.0);
        } catch (Throwable $e) {
            self::$connectFailed = true; // once per request: do not wait on a dead database twice
            Log::error('hook.database_unreachable', ['error' => $e->getMessage()]);
            return null;
        }
    }

    /**
     * The rows HookRecorder would write, appended to the spool (the mapping stays in one place).
     *
     * @param array<mixed> $parameters
     */
    private static function spool(string $hook, array $parameters): void
    {
        $buffer = new SpoolingOutbox();
        $decision = (new HookRecorder($buffer))->record($hook, $parameters);
        if ($decision !== 'recorded') {
            return;
        }
        $spool = new Spool(self::config()->spoolDir);
        foreach ($buffer->rows as $row) {
            if (!$spool->append($row)) {
                Log::error('hook.event_lost', ['hook' => $hook, 'params' => $parameters]);
            }
        }
    }

    /**
     * Near-real-time publishing: under PHP-FPM the response is sent first (fastcgi_finish_request),
     * then one relay pass runs in the same process, if no other relay holds the lock. Elsewhere
     * (CLI, mod_php) the relay daemon or cron picks the rows up. HFEXACT_RELAY_ON_SHUTDOWN=0 disables it.
     */
    private static function publishAfterResponse(): void
    {
        if (self::$shutdownRegistered || !function_exists('fastcgi_finish_request') || getenv('HFEXACT_RELAY_ON_SHUTDOWN') === '0') {
            return;
        }
        self::$shutdownRegistered = true;
        register_shutdown_function(static function (): void {
            try {
                fastcgi_finish_request();
            } catch (Throwable) {
            }
            self::relayAfterResponse();
        });
    }

    /**
     * The relay pass after the response (the body of publishAfterResponse's shutdown function, public
     * for tests and drivers that cannot call fastcgi_finish_request): the bridge's own connection,
     * one relay pass of at most 5 batches if no other relay holds the lock, and the publisher's AMQP
     * connection closed explicitly whatever happens. The publisher's channel keeps callbacks that
     * refer back to it (a reference cycle), so without close() its socket stays open until PHP's
     * cycle collector runs: one broker connection per request in a long-lived process.
     * Never throws.
     *
     * @return int events published (0 when nothing was recorded, another relay holds the lock, or it failed)
     */
    public static function relayAfterResponse(): int
    {
        try {
            $db = self::$outbox !== null && function_exists('internalAPI') ? self::own() : null;
            if ($db === null) {
                return 0;
            }
            $bridge = new Bridge(self::config(), $db, new InternalApi());
            $lock = new FileLock($bridge->lockPath('relay'));
            if (!$lock->acquire(0.0)) {
                return 0;
            }
            $publisher = $bridge->publisher();
            try {
                return $bridge->relay($publisher)->runOnce(false, 5)['published'];
            } finally {
                $publisher->close();
                $lock->release();
            }
        } catch (Throwable $e) {
            Log::error('hook.relay_after_response_failed', ['error' => $e->getMessage()]);
            return 0;
        }
    }

    /** cronjob_task: the pollers run in HostFact's cron (no hooks exist for creditors, purchase invoices, SDD). */
    private static function cron(): void
    {
        $db = function_exists('internalAPI') ? self::own() : null;
        if ($db === null) {
            return;
        }
        (new Pollers(new HostFactClient(new InternalApi()), $db, new Outbox($db), new State($db)))->poll();
    }
}
