<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Unit;

use HostFactExact\Amqp\AmqpEndpoint;
use HostFactExact\Exception\ConfigError;
use PHPUnit\Framework\TestCase;

/** HFEXACT_AMQP_URL is read as the Python side reads it (worker/hfexact/amqp/connection.py). */
final class AmqpEndpointTest extends TestCase
{
    private string $dir;

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/hfexact-endpoint-' . bin2hex(random_bytes(4));
        mkdir($this->dir);
        foreach (['ca.pem', 'client.pem', 'client.key'] as $file) {
            file_put_contents("{$this->dir}/$file", "test\n");
        }
    }

    protected function tearDown(): void
    {
        array_map('unlink', glob("{$this->dir}/*") ?: []);
        rmdir($this->dir);
    }

    /** Every TLS parameter of the Python side is taken; amqps defaults to port 5671. */
    public function testTlsParameters(): void
    {
        $url = "amqps://hf%40main:p%C3%A4ss@10.0.0.5/hostfact?cacertfile={$this->dir}/ca.pem"
            . "&certfile={$this->dir}/client.pem&keyfile={$this->dir}/client.key"
            . '&server_name_indication=broker.example.nl&heartbeat=30';
        $e = AmqpEndpoint::fromUrl($url);
        self::assertTrue($e->tls);
        self::assertSame(['10.0.0.5', 5671, 'hf@main', 'päss', 'hostfact'], [$e->host, $e->port, $e->user, $e->password, $e->vhost]);
        self::assertSame("{$this->dir}/ca.pem", $e->caCertFile);
        self::assertSame("{$this->dir}/client.pem", $e->certFile);
        self::assertSame("{$this->dir}/client.key", $e->keyFile);
        self::assertSame('broker.example.nl', $e->serverName);
        $ssl = $e->sslOptions();
        self::assertSame("{$this->dir}/ca.pem", $ssl['cafile']);
        self::assertSame("{$this->dir}/client.pem", $ssl['local_cert']);
        self::assertSame("{$this->dir}/client.key", $ssl['local_pk']);
        self::assertSame('broker.example.nl', $ssl['peer_name']);
        self::assertTrue($ssl['verify_peer']);
        self::assertTrue($ssl['verify_peer_name']);
        self::assertStringNotContainsString('p%C3%A4ss', $e->describe());
        self::assertStringNotContainsString('päss', $e->describe());
    }

    /** Without server_name_indication the URL's host is the name verified; the system CAs apply. */
    public function testDefaultsOfAPlainAmqpsUrl(): void
    {
        $e = AmqpEndpoint::fromUrl('amqps://u:p@broker.example.nl:5673/%2F');
        self::assertSame(5673, $e->port);
        self::assertSame('/', $e->vhost);
        self::assertNull($e->caCertFile);
        $ssl = $e->sslOptions();
        self::assertSame('broker.example.nl', $ssl['peer_name']);
        self::assertArrayNotHasKey('cafile', $ssl);
    }

    /** @return array<string, array{string, string}> */
    public static function refused(): array
    {
        return [
            'TLS options on amqp://' => ['amqp://u:p@h/%2F?cacertfile=/etc/ssl/certs/ca-certificates.crt', 'use amqps://'],
            'verification off' => ['amqps://u:p@h/%2F?verify=verify_none', 'cannot be turned off'],
            'unreadable CA file' => ['amqps://u:p@h/%2F?cacertfile=/nonexistent/ca.pem', 'cannot read the TLS file cacertfile'],
            'not amqp at all' => ['http://h/', 'must look like amqp://'],
        ];
    }

    /** @dataProvider refused */
    public function testRefusedUrls(string $url, string $words): void
    {
        try {
            AmqpEndpoint::fromUrl($url);
            self::fail("expected ConfigError for $url");
        } catch (ConfigError $e) {
            self::assertStringContainsString($words, $e->getMessage());
        }
    }

    /** A key without its certificate is refused, as Python's load_cert_chain needs the certificate. */
    public function testKeyfileNeedsCertfile(): void
    {
        $this->expectException(ConfigError::class);
        $this->expectExceptionMessage('keyfile needs certfile');
        AmqpEndpoint::fromUrl("amqps://u:p@h/%2F?keyfile={$this->dir}/client.key");
    }
}
