<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Support;

/** `php -S` on a free loopback port serving one script, with a cookie-keeping HTTP client. */
final class PhpServer
{
    /** @var resource */
    private $process;
    public readonly string $base;
    /** @var array<string, string> */
    private array $cookies = [];

    /** @param array<string, string> $env */
    public function __construct(string $script, array $env)
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $address = (string) stream_socket_get_name($socket, false);
        fclose($socket);
        $this->base = 'http://' . $address;
        $process = proc_open([PHP_BINARY, '-S', $address, $script], [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, dirname($script), $env);
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start php -S');
        }
        $this->process = $process;
        for ($i = 0; $i < 100; $i++) {
            $probe = @stream_socket_client('tcp://' . $address, $errno, $errstr, 0.1);
            if ($probe !== false) {
                fclose($probe);
                return;
            }
            usleep(50_000);
        }
        throw new \RuntimeException('php -S did not start');
    }

    /**
     * @param array<string, mixed>|null $form POSTed as application/x-www-form-urlencoded
     * @return array{int, array<string, string>, string}
     */
    public function request(string $path, ?array $form = null): array
    {
        $headers = [];
        if ($this->cookies !== []) {
            $headers[] = 'Cookie: ' . implode('; ', array_map(static fn ($k, $v) => "$k=$v", array_keys($this->cookies), $this->cookies));
        }
        $options = ['method' => 'GET', 'ignore_errors' => true, 'follow_location' => 0, 'timeout' => 10];
        if ($form !== null) {
            $options['method'] = 'POST';
            $headers[] = 'Content-Type: application/x-www-form-urlencoded';
            $options['content'] = http_build_query($form);
        }
        $options['header'] = implode("\r\n", $headers);
        $body = (string) file_get_contents($this->base . $path, false, stream_context_create(['http' => $options]));
        $status = 0;
        $out = [];
        foreach ($http_response_header ?? [] as $line) {
            if (preg_match('#^HTTP/\S+ (\d+)#', $line, $m) === 1) {
                $status = (int) $m[1];
            } elseif (str_contains($line, ':')) {
                [$name, $value] = array_map('trim', explode(':', $line, 2));
                $out[strtolower($name)] = $value;
                if (strtolower($name) === 'set-cookie') {
                    [$pair] = explode(';', $value, 2);
                    [$k, $v] = explode('=', $pair, 2);
                    $this->cookies[$k] = $v;
                }
            }
        }
        return [$status, $out, $body];
    }

    public function stop(): void
    {
        proc_terminate($this->process);
        proc_close($this->process);
    }
}
