<?php

declare(strict_types=1);

namespace HostFactExact\Results;

use HostFactExact\Exception\BridgeException;
use RuntimeException;

/** HostFact could not take the write-back now (its global API lock): requeue and try later. */
final class TransientWriteBack extends RuntimeException implements BridgeException
{
}
