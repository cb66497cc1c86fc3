<?php

declare(strict_types=1);

/*
 * php php-bridge/bin/install.php --hostfact /path/to/hostfact [--uninstall] [--drop-tables] [--write-config]
 *
 * Install: creates the bridge's tables (hfexact_outbox, _state, _settings, _results, _exported) in
 * HostFact's database, starts the poller cursors at "now", and adds a guarded include of
 * php-bridge/hooks.php to <hostfact>/Pro/includes/hooks.php (the file is created if missing; what it
 * holds is kept). Running it again changes nothing. --write-config stores the HFEXACT_* environment
 * in php-bridge/config.local.php for HostFact's web requests (which usually get no environment).
 * Uninstall: removes exactly the guarded block (tables stay unless --drop-tables).
 */

require_once __DIR__ . '/../autoload.php';

use HostFactExact\Config;
use HostFactExact\Db\BridgeSchema;
use HostFactExact\Db\Database;
use HostFactExact\Db\State;
use HostFactExact\Install\HooksFile;
use HostFactExact\Relay\Pollers;

$options = getopt('', ['hostfact:', 'uninstall', 'drop-tables', 'write-config', 'skip-db']);
$root = is_string($options['hostfact'] ?? null) ? rtrim($options['hostfact'], '/') : '';
if ($root === '' || !is_dir($root)) {
    fwrite(STDERR, "usage: install.php --hostfact /path/to/hostfact [--uninstall] [--drop-tables] [--write-config]\n");
    exit(2);
}
$hooksFile = new HooksFile($root . '/Pro/includes/hooks.php', realpath(__DIR__ . '/../hooks.php') ?: __DIR__ . '/../hooks.php');

try {
    if (isset($options['uninstall'])) {
        echo $hooksFile->uninstall() ? "removed the bridge include from {$hooksFile->path}\n" : "no bridge include in {$hooksFile->path}\n";
        if (isset($options['drop-tables'])) {
            $config = Config::load();
            (new BridgeSchema(Database::connect($config->dbDsn, $config->dbUser, $config->dbPassword)))->drop();
            echo "dropped the bridge tables\n";
        }
        exit(0);
    }
    if (isset($options['write-config'])) {
        $values = array_filter(getenv(), static fn ($v, $k) => str_starts_with((string) $k, 'HFEXACT_') && $k !== 'HFEXACT_CONFIG_FILE', ARRAY_FILTER_USE_BOTH);
        ksort($values);
        $file = dirname(__DIR__) . '/config.local.php';
        file_put_contents($file, "<?php\n\n// written by bin/install.php --write-config\nreturn " . var_export($values, true) . ";\n");
        chmod($file, 0640);
        echo "wrote $file\n";
    }
    if (!isset($options['skip-db'])) {
        $config = Config::load();
        $db = Database::connect($config->dbDsn, $config->dbUser, $config->dbPassword);
        (new BridgeSchema($db))->create();
        $state = new State($db);
        foreach ([Pollers::CREDITOR_CURSOR, Pollers::PURCHASE_CURSOR, Pollers::SDD_CURSOR] as $cursor) {
            if ($state->get($cursor) === null) {
                $state->set($cursor, date('Y-m-d H:i:s'));
            }
        }
        echo "bridge tables ready in {$config->dbDsn}\n";
    }
    echo $hooksFile->install() ? "added the bridge include to {$hooksFile->path}\n" : "{$hooksFile->path} already includes the bridge\n";
} catch (Throwable $e) {
    fwrite(STDERR, 'install failed: ' . $e->getMessage() . "\n");
    exit(1);
}
