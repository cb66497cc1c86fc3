<?php

declare(strict_types=1);

namespace HostFactExact\Exception;

use RuntimeException;

class HostFactError extends RuntimeException implements BridgeException
{
    /** @param list<string> $errors */
    public function __construct(
        public readonly string $controller,
        public readonly string $action,
        public readonly array $errors,
    ) {
        parent::__construct(sprintf('HostFact %s/%s failed: %s', $controller, $action, implode('; ', $errors)));
    }

    /** @param array<mixed> $answer */
    public static function fromAnswer(string $controller, string $action, array $answer): self
    {
        $errors = [];
        foreach ((array) ($answer['errors'] ?? []) as $error) {
            $errors[] = is_scalar($error) ? (string) $error : json_encode($error, JSON_UNESCAPED_UNICODE);
        }
        $errors = $errors === [] ? ['no errors given'] : $errors;
        foreach ($errors as $error) {
            if (preg_match('/(not found|niet gevonden|does not exist|bestaat niet|invalid identifier)/i', (string) $error) === 1) {
                return new RecordGone($controller, $action, array_values(array_map('strval', $errors)));
            }
        }
        return new self($controller, $action, array_values(array_map('strval', $errors)));
    }
}
