<?php

declare(strict_types=1);

namespace HostFactExact\HostFact;

/** The one seam to HostFact: internalAPI($controller, $action, $params) and its answer array. */
interface HostFactApi
{
    /**
     * @param array<mixed> $params
     * @return array<string, mixed>
     */
    public function call(string $controller, string $action, array $params = []): array;
}
