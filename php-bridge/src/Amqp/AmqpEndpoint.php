<?php

declare(strict_types=1);

namespace HostFactExact\Amqp;

use HostFactExact\Exception\ConfigError;

/** Where the broker is, parsed from an amqp:// URL (RabbitMQ URI spec: vhost URL-encoded, "%2F" = "/"). */
final class AmqpEndpoint
{
    public function __construct(
        public readonly string $host,
        public readonly int $port,
        public readonly string $user,
        public readonly string $password,
        public readonly string $vhost,
        public readonly bool $tls = false,
    ) {
    }

    public static function fromUrl(string $url): self
    {
        $parts = parse_url($url);
        if ($parts === false || !isset($parts['scheme'], $parts['host']) || !in_array($parts['scheme'], ['amqp', 'amqps'], true)) {
            throw new ConfigError('HFEXACT_AMQP_URL must look like amqp://user:password@host:5672/vhost');
        }
        $tls = $parts['scheme'] === 'amqps';
        $path = $parts['path'] ?? '';
        $vhost = $path === '' || $path === '/' ? '/' : rawurldecode(substr($path, 1));
        return new self(
            $parts['host'],
            (int) ($parts['port'] ?? ($tls ? 5671 : 5672)),
            rawurldecode($parts['user'] ?? 'guest'),
            rawurldecode($parts['pass'] ?? 'guest'),
            $vhost,
            $tls,
        );
    }

    /** For logs: never the password. */
    public function describe(): string
    {
        return sprintf('%s://%s@%s:%d/%s', $this->tls ? 'amqps' : 'amqp', $this->user, $this->host, $this->port, rawurlencode($this->vhost));
    }
}
