<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Support;

use HostFactExact\Bridge;
use HostFactExact\Config;
use HostFactExact\Db\BridgeSchema;
use HostFactExact\Db\Database;
use HostFactExact\Hook\HookRuntime;
use HostFactExact\HostFact\InternalApi;
use HostFactStandIn\HostFact;
use PDO;

/**
 * One isolated world per test: a fresh database (a SQLite file, or a MariaDB database with a unique
 * name on the real server) reached through HostFact's own connection (Database_Model), the HostFact
 * stand-in with the bridge's hooks registered, the bridge tables, and a unique AMQP prefix on the
 * real RabbitMQ.
 */
final class TestEnv
{
    /** @var list<string> */
    private static array $mysqlDatabases = [];
    private static bool $shutdownRegistered = false;

    public readonly HostFact $hostfact;
    public readonly Bridge $bridge;

    private function __construct(
        public readonly string $driver,
        public readonly string $dsn,
        public readonly Config $config,
        public readonly Database $db,
        public readonly string $dir,
    ) {
        require_once __DIR__ . '/../../standin/functions.php';
        $this->hostfact = HostFact::boot($db, $dir . '/hostfact-api.lock');
        require_once __DIR__ . '/../../hooks.php'; // registers on first include; again below for this instance
        (new BridgeSchema($db))->create();
        hfexact_register_hooks();
        HookRuntime::reset($config); // the hooks find HostFact's connection themselves (Database_Model)
        $this->bridge = new Bridge($config, $db, new InternalApi());
    }

    public static function create(string $driver = 'sqlite', array $env = []): self
    {
        $dir = sys_get_temp_dir() . '/hfexact-test-' . bin2hex(random_bytes(5));
        mkdir($dir, 0777, true);
        if ($driver === 'mysql') {
            $name = 'hfexact_t' . bin2hex(random_bytes(5));
            $server = self::mysqlServer();
            $server->exec("CREATE DATABASE `$name` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
            self::$mysqlDatabases[] = $name;
            self::registerCleanup();
            $dsn = self::env('HFEXACT_TEST_MYSQL_DSN', 'mysql:host=127.0.0.1;port=3306;charset=utf8mb4') . ";dbname=$name";
            $user = self::env('HFEXACT_TEST_MYSQL_USER', 'root');
            $password = self::env('HFEXACT_TEST_MYSQL_PASSWORD', '');
        } else {
            $dsn = 'sqlite:' . $dir . '/hostfact.sqlite3';
            $user = '';
            $password = '';
        }
        $config = Config::fromEnv($env + [
            'HFEXACT_AMQP_URL' => self::env('HFEXACT_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672/%2F'),
            'HFEXACT_AMQP_PREFIX' => self::prefix(),
            'HFEXACT_INSTALLATION' => 'hf-test',
            'HFEXACT_DB_DSN' => $dsn,
            'HFEXACT_DB_USER' => $user,
            'HFEXACT_DB_PASSWORD' => $password,
            'HFEXACT_SPOOL_DIR' => $dir . '/spool',
            'HFEXACT_CONFIRM_TIMEOUT' => '5',
        ]);
        // the world's database is HostFact's own request connection, as the stand-in exposes it
        require_once __DIR__ . '/../../standin/functions.php';
        return new self($driver, $dsn, $config, Database::borrow(\Database_Model::open($dsn, $user, $password)), $dir);
    }

    /** A fresh prefix per call: t<8 hex>, so test runs never share queues. */
    public static function prefix(): string
    {
        return 't' . bin2hex(random_bytes(4));
    }

    public static function env(string $key, string $default): string
    {
        $value = getenv($key);
        return is_string($value) && $value !== '' ? $value : $default;
    }

    /** @return array<string, string> environment for a bin/ script subprocess against this world */
    public function processEnv(array $extra = []): array
    {
        $env = [
            'HFEXACT_AMQP_URL' => self::env('HFEXACT_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672/%2F'),
            'HFEXACT_AMQP_PREFIX' => $this->config->prefix,
            'HFEXACT_INSTALLATION' => $this->config->installation,
            'HFEXACT_DB_DSN' => $this->dsn,
            'HFEXACT_DB_USER' => $this->config->dbUser,
            'HFEXACT_DB_PASSWORD' => $this->config->dbPassword,
            'HFEXACT_SPOOL_DIR' => $this->config->spoolDir,
            'HFEXACT_HOSTFACT_BOOTSTRAP' => realpath(__DIR__ . '/../../standin/bootstrap.php'),
            'HFEXACT_CONFIG_FILE' => $this->dir . '/no-config.php',
            'PATH' => (string) getenv('PATH'),
        ];
        return array_merge($env, $extra);
    }

    /**
     * Runs a php-bridge/bin script; returns [exit code, stdout, stderr].
     *
     * @param list<string> $args
     * @return array{int, string, string}
     */
    public function runScript(string $script, array $args = [], array $env = [], float $timeout = 60.0): array
    {
        $command = array_merge([PHP_BINARY, realpath(__DIR__ . '/../../bin/' . $script)], $args);
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $this->processEnv($env));
        if (!is_resource($process)) {
            throw new \RuntimeException("cannot start $script");
        }
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($process), (string) $stdout, (string) $stderr];
    }

    public function cleanup(): void
    {
        HostFact::reset();
        HookRuntime::reset();
        \Database_Model::$instance = null;
        Broker::deletePrefix($this->config->prefix);
        if ($this->driver === 'sqlite') {
            self::removeDir($this->dir);
        }
    }

    private static function mysqlServer(): PDO
    {
        return new PDO(
            self::env('HFEXACT_TEST_MYSQL_DSN', 'mysql:host=127.0.0.1;port=3306;charset=utf8mb4'),
            self::env('HFEXACT_TEST_MYSQL_USER', 'root'),
            self::env('HFEXACT_TEST_MYSQL_PASSWORD', '') ?: null,
            [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION],
        );
    }

    private static function registerCleanup(): void
    {
        if (self::$shutdownRegistered) {
            return;
        }
        self::$shutdownRegistered = true;
        register_shutdown_function(static function (): void {
            try {
                $server = self::mysqlServer();
                foreach (self::$mysqlDatabases as $name) {
                    $server->exec("DROP DATABASE IF EXISTS `$name`");
                }
            } catch (\Throwable) {
            }
        });
    }

    private static function removeDir(string $dir): void
    {
        if (!is_dir($dir)) {
            return;
        }
        foreach (new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($dir, \FilesystemIterator::SKIP_DOTS), \RecursiveIteratorIterator::CHILD_FIRST) as $file) {
            $file->isDir() ? @rmdir($file->getPathname()) : @unlink($file->getPathname());
        }
        @rmdir($dir);
    }
}
