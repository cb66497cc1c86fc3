<?php

declare(strict_types=1);

namespace HostFactExact\Amqp;

use HostFactExact\Exception\ConfigError;

/**
 * Where the broker is, parsed from HFEXACT_AMQP_URL exactly as the Python side reads it
 * (worker/hfexact/amqp/connection.py), so one URL configures both:
 *
 *   amqp://user:pass@host:5672/vhost                (RabbitMQ URI spec: vhost URL-encoded, "%2F" = "/")
 *   amqps://user:pass@host:5671/vhost?cacertfile=/etc/hfexact/ca.pem
 *
 * TLS query parameters (amqps:// only): cacertfile (CA bundle that signed the broker's certificate;
 * the system store when absent), certfile + keyfile (client certificate), server_name_indication
 * (the name to verify when it differs from the URL's host). The certificate and its host name are
 * always verified: verify=verify_peer is the only accepted value. pika's own parameters (heartbeat,
 * socket_timeout, ...) are accepted and left to the Python side.
 */
final class AmqpEndpoint
{
    public const TLS_KEYS = ['cacertfile', 'certfile', 'keyfile', 'server_name_indication', 'verify'];

    public function __construct(
        public readonly string $host,
        public readonly int $port,
        public readonly string $user,
        public readonly string $password,
        public readonly string $vhost,
        public readonly bool $tls = false,
        public readonly ?string $caCertFile = null,
        public readonly ?string $certFile = null,
        public readonly ?string $keyFile = null,
        public readonly ?string $serverName = null,
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
        $query = self::query($parts['query'] ?? '');
        $given = array_values(array_intersect(self::TLS_KEYS, array_keys($query)));
        if (!$tls && $given !== []) {
            sort($given);
            throw new ConfigError('HFEXACT_AMQP_URL sets TLS options (' . implode(', ', $given) . ') but uses amqp://; use amqps://');
        }
        if (($query['verify'] ?? 'verify_peer') !== 'verify_peer') {
            throw new ConfigError('HFEXACT_AMQP_URL: certificate verification cannot be turned off (verify=verify_peer is the only accepted value)');
        }
        foreach (['cacertfile', 'certfile', 'keyfile'] as $file) {
            if (isset($query[$file]) && !is_readable($query[$file])) {
                throw new ConfigError("HFEXACT_AMQP_URL: cannot read the TLS file $file={$query[$file]}");
            }
        }
        if (isset($query['keyfile']) && !isset($query['certfile'])) {
            throw new ConfigError('HFEXACT_AMQP_URL: keyfile needs certfile (the client certificate)');
        }
        $blankToNull = static fn (?string $v): ?string => $v === null || $v === '' ? null : $v;
        return new self(
            $parts['host'],
            (int) ($parts['port'] ?? ($tls ? 5671 : 5672)),
            rawurldecode($parts['user'] ?? 'guest'),
            rawurldecode($parts['pass'] ?? 'guest'),
            $vhost,
            $tls,
            $blankToNull($query['cacertfile'] ?? null),
            $blankToNull($query['certfile'] ?? null),
            $blankToNull($query['keyfile'] ?? null),
            $blankToNull($query['server_name_indication'] ?? null),
        );
    }

    /**
     * The query as Python's parse_qsl reads it: '+' and %XX decoded, the last value of a key wins.
     *
     * @return array<string, string>
     */
    private static function query(string $query): array
    {
        $out = [];
        foreach (explode('&', $query) as $pair) {
            if ($pair === '') {
                continue;
            }
            [$key, $value] = array_pad(explode('=', $pair, 2), 2, '');
            $out[urldecode($key)] = urldecode($value);
        }
        return $out;
    }

    /**
     * SSL stream-context options for php-amqplib: the broker's certificate and host name verified
     * (against serverName when given), TLS 1.2 at least, as the Python side requires.
     *
     * @return array<string, mixed>
     */
    public function sslOptions(): array
    {
        $options = [
            'verify_peer' => true,
            'verify_peer_name' => true,
            'allow_self_signed' => false,
            'peer_name' => $this->serverName ?? $this->host,
            'SNI_enabled' => true,
            'crypto_method' => STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT | STREAM_CRYPTO_METHOD_TLSv1_3_CLIENT,
        ];
        if ($this->caCertFile !== null) {
            $options['cafile'] = $this->caCertFile;
        }
        if ($this->certFile !== null) {
            $options['local_cert'] = $this->certFile;
        }
        if ($this->keyFile !== null) {
            $options['local_pk'] = $this->keyFile;
        }
        return $options;
    }

    /** For logs: never the password. */
    public function describe(): string
    {
        return sprintf('%s://%s@%s:%d/%s', $this->tls ? 'amqps' : 'amqp', $this->user, $this->host, $this->port, rawurlencode($this->vhost));
    }
}
