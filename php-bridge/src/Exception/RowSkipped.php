<?php

declare(strict_types=1);

namespace HostFactExact\Exception;

use RuntimeException;

/** The relay decided not to publish an outbox row (switched off, still a concept, already exported). */
final class RowSkipped extends RuntimeException implements BridgeException
{
}
