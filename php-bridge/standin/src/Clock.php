<?php

declare(strict_types=1);

namespace HostFactStandIn;

/** The stand-in's clock; tests may pin it. */
final class Clock
{
    private ?int $fixed = null;

    public function now(): string
    {
        return date('Y-m-d H:i:s', $this->fixed ?? time());
    }

    public function today(): string
    {
        return substr($this->now(), 0, 10);
    }

    public function set(?string $datetime): void
    {
        $this->fixed = $datetime === null ? null : (int) strtotime($datetime);
    }
}
