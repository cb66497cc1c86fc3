<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Amqp\AmqpEndpoint;
use HostFactExact\Amqp\Connector;
use HostFactExact\Tests\Support\TestEnv;
use PHPUnit\Framework\TestCase;
use PhpAmqpLib\Exception\AMQPIOException;

/**
 * amqps:// through a TLS front on the real broker: a private CA and a certificate for the name
 * "broker.test" only (no IP address), so the name the client verifies matters.
 */
final class TlsTest extends TestCase
{
    private string $dir;
    /** @var resource|null */
    private $front = null;
    private int $port = 0;

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/hfexact-tls-' . bin2hex(random_bytes(4));
        mkdir($this->dir);
        $this->makeCertificates('broker.test');
        $this->front = proc_open(
            [PHP_BINARY, __DIR__ . '/../Support/tls_front.php', "{$this->dir}/server.pem", "{$this->dir}/server.key", $this->upstream()],
            [1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'a']],
            $pipes,
        );
        self::assertIsResource($this->front);
        $this->port = (int) trim((string) fgets($pipes[1]));
        self::assertGreaterThan(0, $this->port, 'the TLS front did not start');
    }

    protected function tearDown(): void
    {
        if (is_resource($this->front)) {
            proc_terminate($this->front);
            proc_close($this->front);
        }
        array_map('unlink', glob("{$this->dir}/*") ?: []);
        rmdir($this->dir);
    }

    /** cacertfile + server_name_indication: the connection verifies and works. */
    public function testConnectsWithTheCaAndTheServerName(): void
    {
        $connection = (new Connector(AmqpEndpoint::fromUrl($this->url("cacertfile={$this->dir}/ca.pem&server_name_indication=broker.test")), 5.0, 5.0))->connect('hfexact-tls-test');
        try {
            self::assertTrue($connection->isConnected());
            $channel = $connection->channel();
            [$queue] = $channel->queue_declare('', false, false, true, true); // a server-named, exclusive queue
            self::assertStringStartsWith('amq.gen-', (string) $queue);
            $channel->close();
        } finally {
            $connection->close();
        }
    }

    /** Without the CA the broker's certificate is not trusted: no connection. */
    public function testRefusesAnUntrustedCertificate(): void
    {
        $this->assertRefused($this->url('server_name_indication=broker.test'), 'certificate verify failed');
    }

    /** The right CA but another name (the URL's 127.0.0.1): the name check refuses it. */
    public function testRefusesAWrongName(): void
    {
        $this->assertRefused($this->url("cacertfile={$this->dir}/ca.pem"), 'did not match expected name `127.0.0.1\'');
    }

    private function assertRefused(string $url, string $why): void
    {
        $endpoint = AmqpEndpoint::fromUrl($url);
        try {
            (new Connector($endpoint, 3.0, 3.0))->connect('hfexact-tls-test')->close();
            self::fail('connected although the certificate should not be accepted');
        } catch (AMQPIOException $e) {
            self::assertStringContainsString('Unable to connect to ssl://', $e->getMessage());
        }
        // php-amqplib keeps only PHP's last warning; the same options on a bare TLS socket show why
        $warnings = [];
        set_error_handler(static function (int $no, string $message) use (&$warnings): bool {
            $warnings[] = $message;

            return true;
        });
        try {
            $socket = stream_socket_client("ssl://{$endpoint->host}:{$endpoint->port}", $errno, $error, 3.0, STREAM_CLIENT_CONNECT, stream_context_create(['ssl' => $endpoint->sslOptions()]));
        } finally {
            restore_error_handler();
        }
        self::assertFalse($socket);
        self::assertStringContainsString($why, implode("\n", $warnings));
    }

    private function url(string $query): string
    {
        $plain = AmqpEndpoint::fromUrl(TestEnv::env('HFEXACT_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672/%2F'));
        return sprintf('amqps://%s:%s@127.0.0.1:%d/%s?%s', rawurlencode($plain->user), rawurlencode($plain->password), $this->port, rawurlencode($plain->vhost), $query);
    }

    private function upstream(): string
    {
        $plain = AmqpEndpoint::fromUrl(TestEnv::env('HFEXACT_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672/%2F'));
        return "{$plain->host}:{$plain->port}";
    }

    /** A CA and a server certificate for $name signed by it (EC P-256), in $this->dir. */
    private function makeCertificates(string $name): void
    {
        $cnf = "{$this->dir}/openssl.cnf";
        file_put_contents($cnf, "[req]\ndistinguished_name = dn\n[dn]\n"
            . "[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n"
            . "[server]\nbasicConstraints = CA:FALSE\nsubjectAltName = DNS:$name\nextendedKeyUsage = serverAuth\n"
            . "authorityKeyIdentifier = keyid\n");
        $key = static fn () => openssl_pkey_new(['private_key_type' => OPENSSL_KEYTYPE_EC, 'curve_name' => 'prime256v1']);
        $caKey = $key();
        $caCsr = openssl_csr_new(['commonName' => 'hfexact test CA'], $caKey, ['config' => $cnf, 'digest_alg' => 'sha256']);
        $ca = openssl_csr_sign($caCsr, null, $caKey, 1, ['config' => $cnf, 'x509_extensions' => 'ca', 'digest_alg' => 'sha256'], random_int(1, PHP_INT_MAX));
        $serverKey = $key();
        $csr = openssl_csr_new(['commonName' => $name], $serverKey, ['config' => $cnf, 'digest_alg' => 'sha256']);
        $cert = openssl_csr_sign($csr, $ca, $caKey, 1, ['config' => $cnf, 'x509_extensions' => 'server', 'digest_alg' => 'sha256'], random_int(1, PHP_INT_MAX));
        self::assertNotFalse($ca);
        self::assertNotFalse($cert);
        openssl_x509_export_to_file($ca, "{$this->dir}/ca.pem");
        openssl_x509_export_to_file($cert, "{$this->dir}/server.pem");
        openssl_pkey_export_to_file($serverKey, "{$this->dir}/server.key", null, ['config' => $cnf]);
        chmod("{$this->dir}/server.key", 0600);
    }
}
