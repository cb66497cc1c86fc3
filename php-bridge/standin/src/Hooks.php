<?php

declare(strict_types=1);

namespace HostFactStandIn;

use Exception;

/**
 * add_action / do_action as HostFact 6 does them (shared/reference/hostfact.md 1.2):
 * a string callback is registered only if function_exists() at add_action time (no closures),
 * priority order (default 10), each function at most once per dispatch, and only `Exception` is
 * caught: an `Error` escapes and breaks the request, exactly as in HostFact.
 */
final class Hooks
{
    /** @var array<string, array<int, list<string>>> */
    private array $actions = [];
    /** @var list<array{hook: string, function: string, error: string}> */
    public array $caughtExceptions = [];

    public function addAction(string $hook, mixed $callback, int $priority = 10): void
    {
        if (!is_string($callback) || !function_exists($callback)) {
            return;
        }
        $this->actions[$hook][$priority][] = $callback;
    }

    /** @param array<mixed> $parameters */
    public function doAction(string $hook, array $parameters = []): void
    {
        if (!isset($this->actions[$hook])) {
            return;
        }
        $byPriority = $this->actions[$hook];
        ksort($byPriority);
        $called = [];
        foreach ($byPriority as $functions) {
            foreach ($functions as $function) {
                if (isset($called[$function])) {
                    continue;
                }
                $called[$function] = true;
                try {
                    $function($parameters);
                } catch (Exception $e) {
                    $this->caughtExceptions[] = ['hook' => $hook, 'function' => $function, 'error' => $e->getMessage()];
                }
            }
        }
    }

    /** @return list<string> */
    public function registered(string $hook): array
    {
        $out = [];
        foreach ($this->actions[$hook] ?? [] as $functions) {
            array_push($out, ...$functions);
        }
        return $out;
    }
}
