<?php

declare(strict_types=1);

namespace HostFactExact\Exception;

use InvalidArgumentException;

final class ConfigError extends InvalidArgumentException implements BridgeException
{
    /** @param list<string> $problems */
    public static function fromProblems(array $problems): self
    {
        return new self("invalid configuration:\n  - " . implode("\n  - ", $problems));
    }
}
