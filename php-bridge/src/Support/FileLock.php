<?php

declare(strict_types=1);

namespace HostFactExact\Support;

/** An exclusive advisory lock on a file (flock); released on release() or process exit. */
final class FileLock
{
    /** @var resource|null */
    private $handle = null;

    public function __construct(private readonly string $path)
    {
    }

    public function acquire(float $waitSeconds = 0.0): bool
    {
        $handle = @fopen($this->path, 'c');
        if ($handle === false) {
            return false;
        }
        $deadline = microtime(true) + $waitSeconds;
        do {
            if (flock($handle, LOCK_EX | LOCK_NB)) {
                $this->handle = $handle;
                return true;
            }
            usleep(50_000);
        } while (microtime(true) < $deadline);
        fclose($handle);
        return false;
    }

    public function release(): void
    {
        if ($this->handle !== null) {
            flock($this->handle, LOCK_UN);
            fclose($this->handle);
            $this->handle = null;
        }
    }
}
