<?php

declare(strict_types=1);

/* Shared start of the bin/ scripts: autoloader, Config from the environment, HostFact's internalAPI. */

require_once __DIR__ . '/../autoload.php';

use HostFactExact\Bridge;
use HostFactExact\Config;
use HostFactExact\Exception\ConfigError;

/**
 * @param list<string> $argv
 * @param list<string> $flags names without "--" that take no value
 * @return array<string, string|bool>
 */
function hfexact_args(array $argv, array $flags, array $options = []): array
{
    $out = [];
    for ($i = 1; $i < count($argv); $i++) {
        $arg = $argv[$i];
        if (!str_starts_with($arg, '--')) {
            fwrite(STDERR, "unexpected argument: $arg\n");
            exit(2);
        }
        $name = substr($arg, 2);
        $value = null;
        if (str_contains($name, '=')) {
            [$name, $value] = explode('=', $name, 2);
        }
        if (in_array($name, $flags, true)) {
            $out[$name] = true;
        } elseif (in_array($name, $options, true)) {
            $value ??= $argv[++$i] ?? null;
            if ($value === null) {
                fwrite(STDERR, "--$name needs a value\n");
                exit(2);
            }
            $out[$name] = $value;
        } else {
            fwrite(STDERR, "unknown option --$name\n");
            exit(2);
        }
    }
    return $out;
}

function hfexact_bridge(): Bridge
{
    try {
        $config = Config::load();
    } catch (ConfigError $e) {
        fwrite(STDERR, $e->getMessage() . "\n");
        exit(78); // EX_CONFIG
    }
    if ($config->hostfactBootstrap !== null) {
        require_once $config->hostfactBootstrap;
    }
    if (!function_exists('internalAPI')) {
        fwrite(STDERR, "internalAPI() is not defined: set HFEXACT_HOSTFACT_BOOTSTRAP to a file that loads HostFact\n");
        exit(78);
    }
    return Bridge::fromConfig($config);
}
