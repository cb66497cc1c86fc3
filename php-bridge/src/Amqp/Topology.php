<?php

declare(strict_types=1);

namespace HostFactExact\Amqp;

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Wire\AMQPTable;

/**
 * The queue topology (design §4), declared idempotently with exactly the arguments the Python
 * side (`hfexact topology declare`) uses, so whichever side declares first, the other agrees:
 *
 * | name                | kind           | durable | arguments                                                     | binding            |
 * |---------------------|----------------|---------|---------------------------------------------------------------|--------------------|
 * | <P>.events          | topic exchange | yes     | none                                                          |                    |
 * | <P>.results         | topic exchange | yes     | none                                                          |                    |
 * | <P>.dead            | topic exchange | yes     | none                                                          |                    |
 * | <P>.exact           | queue          | yes     | x-queue-type=quorum, x-dead-letter-exchange=<P>.dead, x-delivery-limit=20 (integer) | <P>.events, "#" |
 * | <P>.bridge.results  | queue          | yes     | x-queue-type=quorum                                           | <P>.results, "#"   |
 * | <P>.exact.dead      | queue          | yes     | x-queue-type=quorum                                           | <P>.dead, "#"      |
 *
 * Exchanges: not auto-delete, not internal. Queues: not exclusive, not auto-delete.
 * The <P>.retry.* queues belong to the worker and are declared by the Python side only.
 */
final class Topology
{
    public const DELIVERY_LIMIT = 20;

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

    public function exactQueue(): string
    {
        return $this->prefix . '.exact';
    }

    public function bridgeResultsQueue(): string
    {
        return $this->prefix . '.bridge.results';
    }

    public function deadQueue(): string
    {
        return $this->prefix . '.exact.dead';
    }

    /** @return array<string, array<string, int|string>> queue name -> arguments, as declared */
    public function queueArguments(): array
    {
        return [
            $this->exactQueue() => [
                'x-queue-type' => 'quorum',
                'x-dead-letter-exchange' => $this->dead(),
                'x-delivery-limit' => self::DELIVERY_LIMIT,
            ],
            $this->bridgeResultsQueue() => ['x-queue-type' => 'quorum'],
            $this->deadQueue() => ['x-queue-type' => 'quorum'],
        ];
    }

    public function declare(AMQPChannel $channel): void
    {
        foreach ([$this->events(), $this->results(), $this->dead()] as $exchange) {
            // passive=false, durable=true, auto_delete=false, internal=false
            $channel->exchange_declare($exchange, 'topic', false, true, false, false);
        }
        $bindings = [
            $this->exactQueue() => $this->events(),
            $this->bridgeResultsQueue() => $this->results(),
            $this->deadQueue() => $this->dead(),
        ];
        foreach ($this->queueArguments() as $queue => $arguments) {
            // passive=false, durable=true, exclusive=false, auto_delete=false, nowait=false
            $channel->queue_declare($queue, false, true, false, false, false, new AMQPTable($arguments));
            $channel->queue_bind($queue, $bindings[$queue], '#');
        }
    }
}
