<?php

declare(strict_types=1);

namespace HostFactExact\Hook;

use HostFactExact\Bridge;
use HostFactExact\Config;
use HostFactExact\Db\Database;
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
 * and logged. Costs one prepared INSERT (plus a lazy database connection once per request); no
 * network. When the database is unreachable the row goes to the local spool instead.
 */
final class HookRuntime
{
    private static ?Config $config = null;
    private static ?Outbox $outbox = null;
    private static ?HookRecorder $recorder = null;
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
        if (self::$connectFailed) {
            return null;
        }
        $config = self::config();
        try {
            $db = Database::connect($config->dbDsn, $config->dbUser, $config->dbPassword, 1.0);
        } catch (Throwable $e) {
            self::$connectFailed = true; // once per request: do not wait on a dead database twice
            Log::error('hook.database_unreachable', ['error' => $e->getMessage()]);
            return null;
        }
        self::$outbox = new Outbox($db);
        return self::$recorder = new HookRecorder(self::$outbox);
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
                $outbox = self::$outbox;
                if ($outbox === null || !function_exists('internalAPI')) {
                    return;
                }
                $bridge = new Bridge(self::config(), $outbox->db(), new InternalApi());
                $lock = new FileLock($bridge->lockPath('relay'));
                if ($lock->acquire(0.0)) {
                    $bridge->relay()->runOnce(false, 5);
                    $lock->release();
                }
            } catch (Throwable $e) {
                Log::error('hook.relay_after_response_failed', ['error' => $e->getMessage()]);
            }
        });
    }

    /** cronjob_task: the pollers run in HostFact's cron (no hooks exist for creditors, purchase invoices, SDD). */
    private static function cron(): void
    {
        $recorder = self::recorder();
        if ($recorder === null || self::$outbox === null || !function_exists('internalAPI')) {
            return;
        }
        $db = self::$outbox->db();
        (new Pollers(new HostFactClient(new InternalApi()), $db, self::$outbox, new State($db)))->poll();
    }
}
