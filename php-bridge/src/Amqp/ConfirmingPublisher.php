<?php

declare(strict_types=1);

namespace HostFactExact\Amqp;

use HostFactExact\Exception\PublishFailed;
use HostFactExact\Support\Log;
use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Message\AMQPMessage;
use Throwable;

/**
 * Publishes with publisher confirms and `mandatory`: a message counts as published only when the
 * broker acked it and did not return it as unroutable. One connection, reused across batches,
 * dropped on any error (the next batch reconnects).
 */
final class ConfirmingPublisher
{
    private ?AbstractConnection $connection = null;
    private ?AMQPChannel $channel = null;
    /** @var array<string, true> */
    private array $acked = [];
    /** @var array<string, string> message id -> why it failed */
    private array $failed = [];

    public function __construct(
        private readonly Connector $connector,
        private readonly Topology $topology,
        private readonly float $confirmTimeout = 10.0,
    ) {
    }

    /**
     * Publishes the batch in order and waits for every confirm.
     *
     * @param list<array{id: string, type: string, body: string}> $messages
     * @return array{confirmed: list<string>, failed: array<string, string>}
     */
    public function publish(array $messages, ?string $exchange = null): array
    {
        $exchange ??= $this->topology->events();
        try {
            $channel = $this->channel();
        } catch (Throwable $e) {
            $this->close();
            throw PublishFailed::brokerUnreachable($this->connector->endpoint()->describe(), $e);
        }
        $this->acked = [];
        $this->failed = [];
        try {
            foreach ($messages as $message) {
                $channel->basic_publish(new AMQPMessage($message['body'], [
                    'content_type' => 'application/json',
                    'content_encoding' => 'utf-8',
                    'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
                    'message_id' => $message['id'],
                    'type' => $message['type'],
                    'timestamp' => time(),
                    'app_id' => 'hfexact-php-bridge',
                ]), $exchange, $message['type'], true);
            }
            $channel->wait_for_pending_acks_returns($this->confirmTimeout);
        } catch (Throwable $e) {
            $this->close();
            Log::error('amqp.publish_interrupted', ['error' => $e->getMessage(), 'acked' => count($this->acked)]);
        }
        $confirmed = [];
        $failed = [];
        foreach ($messages as $message) {
            $id = $message['id'];
            if (isset($this->failed[$id])) {
                $failed[$id] = $this->failed[$id];
            } elseif (isset($this->acked[$id])) {
                $confirmed[] = $id;
            } else {
                $failed[$id] = 'no confirm from the broker';
            }
        }
        return ['confirmed' => $confirmed, 'failed' => $failed];
    }

    public function close(): void
    {
        try {
            $this->channel?->close();
        } catch (Throwable) {
        }
        try {
            $this->connection?->close();
        } catch (Throwable) {
        }
        $this->channel = null;
        $this->connection = null;
    }

    private function channel(): AMQPChannel
    {
        if ($this->channel !== null && $this->connection !== null && $this->connection->isConnected()) {
            return $this->channel;
        }
        $this->close();
        $this->connection = $this->connector->connect('hfexact-relay');
        $channel = $this->connection->channel();
        $channel->set_ack_handler(function (AMQPMessage $message): void {
            $this->acked[(string) $message->get('message_id')] = true;
        });
        $channel->set_nack_handler(function (AMQPMessage $message): void {
            $this->failed[(string) $message->get('message_id')] = 'nacked by the broker';
        });
        $channel->set_return_listener(function (int $code, string $text, string $exchange, string $routingKey, AMQPMessage $message): void {
            $this->failed[(string) $message->get('message_id')] = sprintf('returned unroutable (%d %s) from %s with %s', $code, $text, $exchange, $routingKey);
        });
        $channel->confirm_select();
        $this->topology->declare($channel);
        $this->channel = $channel;
        return $channel;
    }
}
