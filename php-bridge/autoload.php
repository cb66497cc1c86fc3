<?php

declare(strict_types=1);

/*
 * PSR-4 autoloader for the bridge (no Composer): maps our namespaces to folders and loads
 * Debian's php-amqplib (package php-amqplib, /usr/share/php/PhpAmqpLib/autoload.php).
 * HFEXACT_AMQPLIB_AUTOLOAD may point elsewhere (e.g. a vendor/ tree on another system).
 */

(static function (): void {
    $map = [
        'HostFactExact\\Tests\\' => __DIR__ . '/tests/',
        'HostFactExact\\' => __DIR__ . '/src/',
        'HostFactStandIn\\' => __DIR__ . '/standin/src/',
    ];
    spl_autoload_register(static function (string $class) use ($map): void {
        foreach ($map as $prefix => $dir) {
            if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
                continue;
            }
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    });

    if (!class_exists(\PhpAmqpLib\Connection\AMQPStreamConnection::class, true)) {
        $amqplib = getenv('HFEXACT_AMQPLIB_AUTOLOAD');
        $amqplib = is_string($amqplib) && $amqplib !== '' ? $amqplib : '/usr/share/php/PhpAmqpLib/autoload.php';
        if (is_file($amqplib)) {
            require_once $amqplib;
        }
    }
})();
