<?php

declare(strict_types=1);

namespace HostFactExact\Exception;

use RuntimeException;
use Throwable;

final class PublishFailed extends RuntimeException implements BridgeException
{
    public static function brokerUnreachable(string $endpoint, Throwable $cause): self
    {
        return new self(sprintf('broker %s unreachable: %s', $endpoint, $cause->getMessage()), 0, $cause);
    }

    public static function notConfirmed(string $messageId, string $why): self
    {
        return new self(sprintf('message %s not confirmed: %s', $messageId, $why));
    }
}
