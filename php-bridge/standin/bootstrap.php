<?php

declare(strict_types=1);

/*
 * Boots the HostFact stand-in the way HostFact's own bootstrap does: global functions
 * (add_action, do_action, internalAPI), the database, then <root>/Pro/includes/hooks.php if present.
 * Used as HFEXACT_HOSTFACT_BOOTSTRAP by the bin/ scripts in tests and the demo, and by public/router.php.
 *
 * HFEXACT_STANDIN_DSN (default HFEXACT_DB_DSN), HFEXACT_STANDIN_ROOT (a directory with /Pro/includes).
 */

require_once __DIR__ . '/../autoload.php';
require_once __DIR__ . '/functions.php';

(static function (): void {
    $env = getenv();
    $config = \HostFactExact\Config::load();
    $dsn = ($env['HFEXACT_STANDIN_DSN'] ?? '') !== '' ? $env['HFEXACT_STANDIN_DSN'] : $config->dbDsn;
    // HostFact's own connection (Database_Model::getInstance()), which the bridge's hooks write through
    \HostFactStandIn\HostFact::boot(\HostFactExact\Db\Database::borrow(\Database_Model::open($dsn, $config->dbUser, $config->dbPassword)));
    $root = $env['HFEXACT_STANDIN_ROOT'] ?? '';
    if ($root !== '' && is_file($root . '/Pro/includes/hooks.php')) {
        require_once $root . '/Pro/includes/hooks.php';
    }
})();
