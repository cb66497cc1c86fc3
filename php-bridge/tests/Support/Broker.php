<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Support;

use HostFactExact\Amqp\AmqpEndpoint;
use HostFactExact\Amqp\Connector;
use HostFactExact\Amqp\Topology;
use PhpAmqpLib\Message\AMQPMessage;
use Throwable;

/** Helpers on the real RabbitMQ for tests: read queues, publish results, remove a test prefix. */
final class Broker
{
    public static function connector(): Connector
    {
        return new Connector(AmqpEndpoint::fromUrl(TestEnv::env('HFEXACT_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672/%2F')));
    }

    /** A port nothing listens on (bound, then closed), for broker outages. */
    public static function closedPortUrl(): string
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        return 'amqp://guest:guest@' . $name . '/%2F';
    }

    /**
     * Takes every message currently in a queue (basic_get, acked).
     *
     * @return list<AMQPMessage>
     */
    public static function drain(string $queue, float $settleSeconds = 0.3): array
    {
        $connection = self::connector()->connect('hfexact-test');
        $channel = $connection->channel();
        (new Topology(substr($queue, 0, (int) strpos($queue, '.'))))->declare($channel);
        $messages = [];
        $deadline = microtime(true) + $settleSeconds;
        while (true) {
            $message = $channel->basic_get($queue);
            if ($message === null) {
                if (microtime(true) > $deadline) {
                    break;
                }
                usleep(50_000);
                continue;
            }
            $messages[] = $message;
            $message->ack();
            $deadline = microtime(true) + $settleSeconds;
        }
        $channel->close();
        $connection->close();
        return $messages;
    }

    /** Publishes a result message to <P>.results (as the Python side does), declaring the topology first. */
    public static function publishResult(string $prefix, array $envelope): void
    {
        $connection = self::connector()->connect('hfexact-test');
        $channel = $connection->channel();
        (new Topology($prefix))->declare($channel);
        $channel->confirm_select();
        $channel->basic_publish(new AMQPMessage(json_encode($envelope, JSON_THROW_ON_ERROR), [
            'content_type' => 'application/json',
            'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
            'message_id' => $envelope['id'],
            'type' => $envelope['type'],
        ]), $prefix . '.results', $envelope['type'], true);
        $channel->wait_for_pending_acks_returns(5);
        $channel->close();
        $connection->close();
    }

    public static function declare(string $prefix): void
    {
        $connection = self::connector()->connect('hfexact-test');
        $channel = $connection->channel();
        (new Topology($prefix))->declare($channel);
        $channel->close();
        $connection->close();
    }

    /**
     * TCP connections this PHP process holds open to the broker's port (from /proc: the process's
     * socket inodes matched with the kernel's TCP table), to see whether a connection was closed.
     */
    public static function openConnectionsOfThisProcess(): int
    {
        $port = self::connector()->endpoint()->port;
        $mine = [];
        foreach (glob('/proc/self/fd/*') ?: [] as $fd) {
            $target = @readlink($fd);
            if (is_string($target) && preg_match('/^socket:\[(\d+)\]$/', $target, $m)) {
                $mine[$m[1]] = true;
            }
        }
        $count = 0;
        foreach (['/proc/self/net/tcp', '/proc/self/net/tcp6'] as $table) {
            foreach (array_slice(@file($table, FILE_IGNORE_NEW_LINES) ?: [], 1) as $line) {
                $f = preg_split('/\s+/', trim($line));
                // fields: sl local_address rem_address st ... inode (10th); 01 = ESTABLISHED
                if (count($f) > 9 && $f[3] === '01' && hexdec(substr($f[2], -4)) === $port && isset($mine[$f[9]])) {
                    $count++;
                }
            }
        }
        return $count;
    }

    /** Deletes the test prefix's queues and exchanges (fresh names are used per run; this only tidies). */
    public static function deletePrefix(string $prefix): void
    {
        if (!preg_match('/^t[0-9a-f]{8}$/', $prefix)) {
            return; // only ever remove what tests created
        }
        try {
            $connection = self::connector()->connect('hfexact-test-cleanup');
            $channel = $connection->channel();
            $topology = new Topology($prefix);
            foreach (array_keys($topology->queues()) as $queue) {
                $channel->queue_delete($queue);
            }
            foreach (array_keys($topology->exchanges()) as $exchange) {
                $channel->exchange_delete($exchange);
            }
            $channel->close();
            $connection->close();
        } catch (Throwable) {
        }
    }
}
