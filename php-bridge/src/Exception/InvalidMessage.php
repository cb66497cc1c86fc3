<?php

declare(strict_types=1);

namespace HostFactExact\Exception;

use UnexpectedValueException;

final class InvalidMessage extends UnexpectedValueException implements BridgeException
{
}
