<?php

declare(strict_types=1);

namespace HostFactExact\Support;

use JsonException;

/** JSON with the flags the bridge always wants: UTF-8 as is, exceptions on error. */
final class Json
{
    public static function encode(mixed $value): string
    {
        return json_encode(
            $value,
            JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION,
        );
    }

    public static function pretty(mixed $value): string
    {
        return json_encode(
            $value,
            JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT,
        ) . "\n";
    }

    /**
     * @return array<mixed>
     * @throws JsonException
     */
    public static function decodeObject(string $json): array
    {
        $value = json_decode($json, true, 512, JSON_THROW_ON_ERROR);
        if (!is_array($value)) {
            throw new JsonException('expected a JSON object');
        }
        return $value;
    }
}
