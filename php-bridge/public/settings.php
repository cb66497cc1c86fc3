<?php

declare(strict_types=1);

/*
 * The export settings page. Serve it behind HostFact's admin access (web server auth or IP
 * restriction); it needs the same HFEXACT_* configuration as the relay (config.local.php).
 */

require_once __DIR__ . '/../autoload.php';

use HostFactExact\Bridge;
use HostFactExact\Config;
use HostFactExact\HostFact\HostFactApi;
use HostFactExact\Settings\SettingsPage;

$config = Config::load();
if ($config->hostfactBootstrap !== null) {
    require_once $config->hostfactBootstrap;
}
// the page reads no HostFact records: it works without internalAPI too
$api = new class () implements HostFactApi {
    public function call(string $controller, string $action, array $params = []): array
    {
        return function_exists('internalAPI') ? \internalAPI($controller, $action, $params) : ['status' => 'error', 'errors' => ['no internalAPI']];
    }
};
session_name('hfexact_settings');
session_start();
$page = new SettingsPage(Bridge::fromConfig($config, $api));
[$status, $headers, $body] = $page->handle($_SERVER['REQUEST_METHOD'] ?? 'GET', $_POST, $_SESSION);
http_response_code($status);
foreach ($headers as $name => $value) {
    header("$name: $value");
}
echo $body;
