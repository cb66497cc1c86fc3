<?php

declare(strict_types=1);

namespace HostFactExact\HostFact;

use HostFactExact\Exception\HostFactError;

/** Typed helpers over HostFactApi: show/list/act that throw HostFactError (RecordGone) on "error". */
final class HostFactClient
{
    public function __construct(private readonly HostFactApi $api)
    {
    }

    /**
     * @param array<mixed> $params e.g. ['Identifier' => '12'] or ['InvoiceCode' => 'F0001']
     * @return array<string, mixed>
     */
    public function show(string $controller, array $params): array
    {
        $answer = $this->checked($controller, 'show', $params);
        $object = $answer[$controller] ?? null;
        if (!is_array($object)) {
            throw new HostFactError($controller, 'show', ['answer has no ' . $controller]);
        }
        return $object;
    }

    /**
     * Every page of a list call.
     *
     * @param array<mixed> $filters
     * @return list<array<string, mixed>>
     */
    public function list(string $controller, array $filters = []): array
    {
        $items = [];
        $offset = 0;
        $limit = 500;
        do {
            $answer = $this->checked($controller, 'list', $filters + ['offset' => $offset, 'limit' => $limit]);
            $page = $answer[$controller . 's'] ?? [];
            if (!is_array($page)) {
                throw new HostFactError($controller, 'list', ['answer has no ' . $controller . 's']);
            }
            foreach ($page as $item) {
                $items[] = (array) $item;
            }
            $offset += $limit;
        } while (count($page) === $limit);
        return $items;
    }

    /**
     * A write action (markaspaid, partpayment, markasunpaid, ...).
     *
     * @param array<mixed> $params
     * @return array<string, mixed>
     */
    public function act(string $controller, string $action, array $params): array
    {
        return $this->checked($controller, $action, $params);
    }

    /**
     * @param array<mixed> $params
     * @return array<string, mixed>
     */
    private function checked(string $controller, string $action, array $params): array
    {
        $answer = $this->api->call($controller, $action, $params);
        if (($answer['status'] ?? '') !== 'success') {
            throw HostFactError::fromAnswer($controller, $action, $answer);
        }
        return $answer;
    }
}
