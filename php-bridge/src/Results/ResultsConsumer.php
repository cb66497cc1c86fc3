<?php

declare(strict_types=1);

namespace HostFactExact\Results;

use HostFactExact\Amqp\Connector;
use HostFactExact\Amqp\Topology;
use HostFactExact\Support\Log;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;
use Throwable;

/**
 * Consumes <P>.bridge.results one message at a time (prefetch 1: write-backs are serialized, as
 * HostFact's global API lock wants) and acks only after the handler recorded the outcome.
 */
final class ResultsConsumer
{
    private bool $stopping = false;

    public function __construct(
        private readonly Connector $connector,
        private readonly Topology $topology,
        private readonly ResultHandler $handler,
    ) {
    }

    public function stop(): void
    {
        $this->stopping = true;
    }

    public function isStopping(): bool
    {
        return $this->stopping;
    }

    /**
     * @param bool $once stop when the queue has been idle for $idleSeconds
     * @return array<string, int> outcome -> count
     */
    public function run(bool $once, float $idleSeconds = 2.0, ?int $maxMessages = null): array
    {
        $counts = [];
        $connection = $this->connector->connect('hfexact-results');
        try {
            $channel = $connection->channel();
            $this->topology->declare($channel);
            $channel->basic_qos(0, 1, false);
            $handled = 0;
            $channel->basic_consume(
                $this->topology->bridgeResultsQueue(),
                '',
                false,
                false,
                false,
                false,
                function (AMQPMessage $message) use (&$counts, &$handled): void {
                    $messageId = $message->has('message_id') ? (string) $message->get('message_id') : '';
                    if ($messageId === '') {
                        $decoded = json_decode($message->getBody(), true);
                        $messageId = is_array($decoded) && is_string($decoded['id'] ?? null) ? $decoded['id'] : 'sha1:' . sha1($message->getBody());
                    }
                    try {
                        $result = $this->handler->handle($messageId, $message->getBody());
                        $message->ack();
                        $counts[$result['outcome']] = ($counts[$result['outcome']] ?? 0) + 1;
                        Log::info('result.processed', ['message_id' => $messageId, 'outcome' => $result['outcome'], 'reason' => $result['reason']]);
                    } catch (TransientWriteBack $e) {
                        usleep(500_000);
                        $message->nack(true);
                        $counts['requeued'] = ($counts['requeued'] ?? 0) + 1;
                        Log::error('result.requeued', ['message_id' => $messageId, 'error' => $e->getMessage()]);
                    }
                    $handled++;
                },
            );
            while ($channel->is_consuming() && !$this->stopping && ($maxMessages === null || $handled < $maxMessages)) {
                try {
                    $channel->wait(null, false, $once ? $idleSeconds : 5.0);
                } catch (AMQPTimeoutException) {
                    if ($once) {
                        break;
                    }
                }
            }
            $channel->close();
        } finally {
            try {
                $connection->close();
            } catch (Throwable) {
            }
        }
        return $counts;
    }
}
