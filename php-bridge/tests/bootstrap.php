<?php

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

date_default_timezone_set('Europe/Amsterdam');

// the bridge's log lines go to a file during tests (php-bridge/var/test.log), not to the terminal
@mkdir(__DIR__ . '/../var', 0777, true);
\HostFactExact\Support\Log::sendTo(static function (string $line): void {
    file_put_contents(__DIR__ . '/../var/test.log', $line . "\n", FILE_APPEND);
});
