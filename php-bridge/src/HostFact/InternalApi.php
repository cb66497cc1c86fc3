<?php

declare(strict_types=1);

namespace HostFactExact\HostFact;

use LogicException;

/** HostFact's internal API (no HTTP, no API key): the global internalAPI() function HostFact defines. */
final class InternalApi implements HostFactApi
{
    public function __construct()
    {
        if (!function_exists('internalAPI')) {
            throw new LogicException('internalAPI() is not defined: run inside HostFact or set HFEXACT_HOSTFACT_BOOTSTRAP');
        }
    }

    public function call(string $controller, string $action, array $params = []): array
    {
        /** @var mixed $answer */
        $answer = \internalAPI($controller, $action, $params);
        return is_array($answer) ? $answer : ['status' => 'error', 'errors' => ['internalAPI returned no array']];
    }
}
