<?php

declare(strict_types=1);

namespace HostFactExact\Exception;

use Throwable;

/**
 * Marker for every error the bridge raises itself.
 *
 *   BridgeException (interface)
 *   ├── ConfigError        (InvalidArgumentException)  bad or missing configuration: stop, tell the operator
 *   ├── HostFactError      (RuntimeException)          internalAPI answered status "error"
 *   │   └── RecordGone                                 the record no longer exists: mark, do not retry
 *   ├── PublishFailed      (RuntimeException)          broker down, nack or return: rows wait, retried later
 *   └── InvalidMessage     (UnexpectedValueException)  a result message we cannot read: kept with the reason
 */
interface BridgeException extends Throwable
{
}
