<?php

declare(strict_types=1);

namespace HostFactExact;

use HostFactExact\Amqp\AmqpEndpoint;
use HostFactExact\Exception\ConfigError;

/**
 * The PHP side's settings, built once at the entry point from the environment (frozen).
 *
 * | variable                     | default                                   |
 * |------------------------------|-------------------------------------------|
 * | HFEXACT_AMQP_URL             | amqp://guest:guest@127.0.0.1:5672/%2F     |
 * | HFEXACT_AMQP_PREFIX          | hostfact                                  |
 * | HFEXACT_INSTALLATION         | hf-main                                   |
 * | HFEXACT_DB_DSN               | required: PDO DSN of HostFact's database  |
 * | HFEXACT_DB_USER / _PASSWORD  | empty                                     |
 * | HFEXACT_HOSTFACT_BOOTSTRAP   | PHP file that defines internalAPI() (CLI) |
 * | HFEXACT_SPOOL_DIR            | <system temp>/hfexact-spool               |
 * | HFEXACT_EXPORT_PACKAGE       | exact (HostFact_ExportHistory.Package)    |
 * | HFEXACT_POLL_SECONDS         | 1 (relay daemon idle wait)                |
 * | HFEXACT_CONFIRM_TIMEOUT      | 10 (seconds to wait for publisher confirms)|
 * | HFEXACT_HOOK_CONNECTION      | hostfact: hooks write through HostFact's  |
 * |                              | own connection when found; own: never     |
 */
final class Config
{
    private function __construct(
        public readonly AmqpEndpoint $amqp,
        public readonly string $prefix,
        public readonly string $installation,
        public readonly string $dbDsn,
        public readonly string $dbUser,
        public readonly string $dbPassword,
        public readonly ?string $hostfactBootstrap,
        public readonly string $spoolDir,
        public readonly string $exportPackage,
        public readonly float $pollSeconds,
        public readonly float $confirmTimeout,
        public readonly string $hookConnection = 'hostfact',
    ) {
    }

    /**
     * The environment over an optional PHP file returning the same keys (HFEXACT_CONFIG_FILE, or
     * php-bridge/config.local.php written by install.php): web servers often pass no environment.
     */
    public static function load(?array $env = null): self
    {
        $env ??= getenv();
        $file = ($env['HFEXACT_CONFIG_FILE'] ?? '') !== '' ? (string) $env['HFEXACT_CONFIG_FILE'] : dirname(__DIR__) . '/config.local.php';
        $fromFile = [];
        if (is_file($file)) {
            $loaded = require $file;
            $fromFile = is_array($loaded) ? array_map('strval', $loaded) : [];
        }
        return self::fromEnv(array_merge($fromFile, array_filter($env, static fn ($v, $k) => is_string($k) && str_starts_with($k, 'HFEXACT_') && $v !== '', ARRAY_FILTER_USE_BOTH)));
    }

    /** @param array<string, string> $env usually getenv() */
    public static function fromEnv(array $env): self
    {
        $problems = [];
        $get = static fn (string $key, string $default = ''): string => isset($env[$key]) && $env[$key] !== '' ? (string) $env[$key] : $default;

        $amqp = null;
        try {
            $amqp = AmqpEndpoint::fromUrl($get('HFEXACT_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672/%2F'));
        } catch (ConfigError $e) {
            $problems[] = $e->getMessage();
        }
        $prefix = $get('HFEXACT_AMQP_PREFIX', 'hostfact');
        if (preg_match('/^[A-Za-z0-9_-]{1,64}$/', $prefix) !== 1) {
            $problems[] = 'HFEXACT_AMQP_PREFIX must be 1-64 letters, digits, "_" or "-"';
        }
        $installation = $get('HFEXACT_INSTALLATION', 'hf-main');
        if (preg_match('/^[A-Za-z0-9._-]{1,64}$/', $installation) !== 1) {
            $problems[] = 'HFEXACT_INSTALLATION must be 1-64 letters, digits, ".", "_" or "-"';
        }
        $dsn = $get('HFEXACT_DB_DSN');
        if ($dsn === '') {
            $problems[] = 'HFEXACT_DB_DSN is required (e.g. mysql:host=127.0.0.1;dbname=hostfact;charset=utf8mb4)';
        } elseif (!str_starts_with($dsn, 'mysql:') && !str_starts_with($dsn, 'sqlite:')) {
            $problems[] = 'HFEXACT_DB_DSN must be a mysql: or sqlite: PDO DSN';
        }
        $bootstrap = $get('HFEXACT_HOSTFACT_BOOTSTRAP');
        if ($bootstrap !== '' && !is_file($bootstrap)) {
            $problems[] = sprintf('HFEXACT_HOSTFACT_BOOTSTRAP: no such file %s', $bootstrap);
        }
        $poll = self::positive($get('HFEXACT_POLL_SECONDS', '1'), 'HFEXACT_POLL_SECONDS', $problems);
        $confirm = self::positive($get('HFEXACT_CONFIRM_TIMEOUT', '10'), 'HFEXACT_CONFIRM_TIMEOUT', $problems);
        $hookConnection = $get('HFEXACT_HOOK_CONNECTION', 'hostfact');
        if (!in_array($hookConnection, ['hostfact', 'own'], true)) {
            $problems[] = 'HFEXACT_HOOK_CONNECTION must be "hostfact" or "own"';
        }

        if ($problems !== [] || $amqp === null) {
            throw ConfigError::fromProblems($problems);
        }
        return new self(
            $amqp,
            $prefix,
            $installation,
            $dsn,
            $get('HFEXACT_DB_USER'),
            $get('HFEXACT_DB_PASSWORD'),
            $bootstrap === '' ? null : $bootstrap,
            $get('HFEXACT_SPOOL_DIR', rtrim(sys_get_temp_dir(), '/') . '/hfexact-spool'),
            $get('HFEXACT_EXPORT_PACKAGE', 'exact'),
            $poll,
            $confirm,
            $hookConnection,
        );
    }

    /** A copy pointing at another broker (tests simulate outages with a closed port). */
    public function withAmqp(AmqpEndpoint $amqp): self
    {
        return new self(
            $amqp, $this->prefix, $this->installation, $this->dbDsn, $this->dbUser, $this->dbPassword,
            $this->hostfactBootstrap, $this->spoolDir, $this->exportPackage, $this->pollSeconds, $this->confirmTimeout,
            $this->hookConnection,
        );
    }

    /** @param list<string> $problems */
    private static function positive(string $value, string $key, array &$problems): float
    {
        if (!is_numeric($value) || (float) $value <= 0) {
            $problems[] = sprintf('%s must be a positive number', $key);
            return 1.0;
        }
        return (float) $value;
    }
}
