<?php

declare(strict_types=1);

namespace HostFactExact\Amqp;

use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Connection\AMQPConnectionConfig;
use PhpAmqpLib\Connection\AMQPConnectionFactory;
use PhpAmqpLib\Connection\AMQPSSLConnection;

/** Opens php-amqplib connections with bounded timeouts (a dead broker fails fast, never hangs). */
final class Connector
{
    public function __construct(
        private readonly AmqpEndpoint $endpoint,
        private readonly float $connectTimeout = 10.0,
        private readonly float $readWriteTimeout = 10.0,
        private readonly int $heartbeat = 30,
    ) {
    }

    public function endpoint(): AmqpEndpoint
    {
        return $this->endpoint;
    }

    public function connect(string $name): AbstractConnection
    {
        if ($this->endpoint->tls) {
            return $this->connectTls($name);
        }
        $config = new AMQPConnectionConfig();
        $config->setHost($this->endpoint->host);
        $config->setPort($this->endpoint->port);
        $config->setUser($this->endpoint->user);
        $config->setPassword($this->endpoint->password);
        $config->setVhost($this->endpoint->vhost);
        $config->setIsSecure($this->endpoint->tls);
        $config->setConnectionTimeout($this->connectTimeout);
        $config->setReadTimeout($this->readWriteTimeout);
        $config->setWriteTimeout($this->readWriteTimeout);
        $config->setChannelRPCTimeout($this->readWriteTimeout);
        $config->setHeartbeat($this->heartbeat);
        $config->setConnectionName($name);
        return AMQPConnectionFactory::create($config);
    }

    /**
     * amqps://: php-amqplib's TLS connection with the endpoint's stream-context options (CA file,
     * client certificate, and the name to verify, which the config object cannot carry).
     */
    private function connectTls(string $name): AbstractConnection
    {
        $config = new AMQPConnectionConfig();
        $config->setIsSecure(true);
        $config->setConnectionName($name);
        $config->setHeartbeat($this->heartbeat);
        $config->setChannelRPCTimeout($this->readWriteTimeout);
        $e = $this->endpoint;
        return new AMQPSSLConnection($e->host, $e->port, $e->user, $e->password, $e->vhost, $e->sslOptions(), [
            'login_method' => 'AMQPLAIN',
            'connection_timeout' => $this->connectTimeout,
            'read_write_timeout' => $this->readWriteTimeout,
            'heartbeat' => $this->heartbeat,
            'channel_rpc_timeout' => $this->readWriteTimeout,
        ], 'ssl', $config);
    }
}
