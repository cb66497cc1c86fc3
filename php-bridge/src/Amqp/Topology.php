<?php

declare(strict_types=1);

namespace HostFactExact\Amqp;

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Wire\AMQPTable;

/**
 * The part of the queue topology the PHP bridge needs, declared idempotently with exactly the
 * arguments of the Python side (worker/hfexact/amqp/topology.py `plan()`), so whichever side
 * declares first, the other agrees (a functional test declares from both and compares):
 *
 * | name                       | kind            | arguments (queues: durable, not exclusive/auto-delete) | bound to, key |
 * |----------------------------|-----------------|---------------------------------------------------------|---------------|
 * | <P>.events                 | topic exchange  | durable                                                  |               |
 * | <P>.retry                  | direct exchange | durable                                                  |               |
 * | <P>.dead                   | direct exchange | durable                                                  |               |
 * | <P>.results                | topic exchange  | durable                                                  |               |
 * | <P>.exact.dead             | quorum queue    | x-queue-type=quorum                                      | <P>.dead, "<P>.exact" |
 * | <P>.bridge.results.dead    | quorum queue    | x-queue-type=quorum                                      | <P>.dead, "<P>.bridge.results" |
 * | <P>.exact                  | quorum queue    | x-queue-type=quorum, x-delivery-limit=10, x-dead-letter-exchange=<P>.dead, x-dead-letter-routing-key=<P>.exact, x-dead-letter-strategy=at-least-once, x-overflow=reject-publish | <P>.events "#"; <P>.retry "<P>.exact" |
 * | <P>.bridge.results         | quorum queue    | same as <P>.exact with x-dead-letter-routing-key=<P>.bridge.results | <P>.results "#" |
 *
 * The <P>.retry.<ms>ms queues (TTL ladder) belong to the worker; only Python declares them.
 */
final class Topology
{
    public const DELIVERY_LIMIT = 10;

    public function __construct(private readonly string $prefix)
    {
    }

    public function events(): string
    {
        return $this->prefix . '.events';
    }

    public function results(): string
    {
        return $this->prefix . '.results';
    }

    public function dead(): string
    {
        return $this->prefix . '.dead';
    }

    public function retry(): string
    {
        return $this->prefix . '.retry';
    }

    public function exactQueue(): string
    {
        return $this->prefix . '.exact';
    }

    public function bridgeResultsQueue(): string
    {
        return $this->prefix . '.bridge.results';
    }

    public function exactDeadQueue(): string
    {
        return $this->prefix . '.exact.dead';
    }

    public function bridgeResultsDeadQueue(): string
    {
        return $this->prefix . '.bridge.results.dead';
    }

    /** @return array<string, string> exchange -> type, in declaration order */
    public function exchanges(): array
    {
        return [$this->events() => 'topic', $this->retry() => 'direct', $this->dead() => 'direct', $this->results() => 'topic'];
    }

    /** @return array<string, array<string, int|string>> queue -> arguments, in declaration order (targets first) */
    public function queues(): array
    {
        return [
            $this->exactDeadQueue() => ['x-queue-type' => 'quorum'],
            $this->bridgeResultsDeadQueue() => ['x-queue-type' => 'quorum'],
            $this->exactQueue() => $this->quorum($this->exactQueue()),
            $this->bridgeResultsQueue() => $this->quorum($this->bridgeResultsQueue()),
        ];
    }

    /** @return list<array{string, string, string}> [queue, exchange, routing key] */
    public function bindings(): array
    {
        return [
            [$this->exactDeadQueue(), $this->dead(), $this->exactQueue()],
            [$this->bridgeResultsDeadQueue(), $this->dead(), $this->bridgeResultsQueue()],
            [$this->exactQueue(), $this->events(), '#'],
            [$this->exactQueue(), $this->retry(), $this->exactQueue()],
            [$this->bridgeResultsQueue(), $this->results(), '#'],
        ];
    }

    public function declare(AMQPChannel $channel): void
    {
        foreach ($this->exchanges() as $exchange => $type) {
            // passive=false, durable=true, auto_delete=false, internal=false
            $channel->exchange_declare($exchange, $type, false, true, false, false);
        }
        foreach ($this->queues() as $queue => $arguments) {
            // passive=false, durable=true, exclusive=false, auto_delete=false, nowait=false
            $channel->queue_declare($queue, false, true, false, false, false, new AMQPTable($arguments));
        }
        foreach ($this->bindings() as [$queue, $exchange, $key]) {
            $channel->queue_bind($queue, $exchange, $key);
        }
    }

    /** @return array<string, int|string> */
    private function quorum(string $queue): array
    {
        return [
            'x-queue-type' => 'quorum',
            'x-delivery-limit' => self::DELIVERY_LIMIT,
            'x-dead-letter-exchange' => $this->dead(),
            'x-dead-letter-routing-key' => $queue,
            'x-dead-letter-strategy' => 'at-least-once',
            'x-overflow' => 'reject-publish',
        ];
    }
}
