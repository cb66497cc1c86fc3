<?php

declare(strict_types=1);

/*
 * HostFact's global functions, backed by the stand-in (HostFactStandIn\HostFact::instance()),
 * and its request-wide connection class Database_Model (database_model.php).
 * Loaded by the stand-in bootstrap only; never inside a real HostFact.
 */

use HostFactStandIn\HostFact;

require_once __DIR__ . '/database_model.php';

if (!function_exists('add_action')) {
    function add_action(string $hook, mixed $function, int $priority = 10): void
    {
        HostFact::instance()->hooks->addAction($hook, $function, $priority);
    }
}

if (!function_exists('do_action')) {
    /** @param array<mixed> $parameters */
    function do_action(string $hook, array $parameters = []): void
    {
        HostFact::instance()->hooks->doAction($hook, $parameters);
    }
}

if (!function_exists('internalAPI')) {
    /**
     * @param array<mixed> $params
     * @return array<string, mixed>
     */
    function internalAPI(string $controller, string $action, array $params = []): array
    {
        return HostFact::instance()->api($controller, $action, $params);
    }
}
