<?php

declare(strict_types=1);

namespace HostFactStandIn;

/** HostFact API answers: controller, action, status, date, the object or list; errors[] on failure. */
final class Answer
{
    /** @return array<string, mixed> */
    public static function object(string $controller, string $action, string $key, array $object, array $success = []): array
    {
        $answer = self::head($controller, $action, 'success');
        if ($success !== []) {
            $answer['success'] = $success;
        }
        $answer[$key] = $object;
        return $answer;
    }

    /**
     * @param list<array<string, mixed>> $items
     * @param array<string, mixed> $filters
     * @return array<string, mixed>
     */
    public static function list(string $controller, string $key, array $items, array $filters): array
    {
        return self::head($controller, 'list', 'success') + [
            'totalresults' => count($items),
            'currentresults' => count($items),
            'offset' => (int) ($filters['offset'] ?? 0),
            'filters' => $filters,
            $key => $items,
        ];
    }

    /**
     * @param list<string> $errors
     * @return array<string, mixed>
     */
    public static function error(string $controller, string $action, array $errors): array
    {
        return self::head($controller, $action, 'error') + ['errors' => $errors];
    }

    /** @return array<string, mixed> */
    private static function head(string $controller, string $action, string $status): array
    {
        return ['controller' => $controller, 'action' => $action, 'status' => $status, 'date' => date('c')];
    }
}
