<?php

declare(strict_types=1);

namespace HostFactExact\Exception;

/** HostFact says the record does not exist (deleted concept, wrong id, uncommitted row). */
final class RecordGone extends HostFactError
{
}
