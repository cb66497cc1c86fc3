<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Support;

/**
 * Runs the contract validator (`hfexact validate FILE...`, the Python side) on files a test wrote.
 * HFEXACT_BIN overrides the path (default <repo>/.venv/bin/hfexact).
 */
final class Validator
{
    public static function bin(): string
    {
        return TestEnv::env('HFEXACT_BIN', dirname(__DIR__, 3) . '/.venv/bin/hfexact');
    }

    /**
     * @param list<string> $files
     * @return array{int, string} exit code and output
     */
    public static function validate(array $files): array
    {
        $process = proc_open(array_merge([self::bin(), 'validate'], $files), [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        if (!is_resource($process)) {
            return [127, 'cannot start ' . self::bin()];
        }
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($process), (string) $out];
    }

    /**
     * Writes each envelope/body to a file in $dir and validates them all.
     *
     * @param array<string, string> $bodies name -> JSON
     * @return array{int, string}
     */
    public static function validateBodies(string $dir, array $bodies): array
    {
        if (!is_dir($dir)) {
            mkdir($dir, 0777, true);
        }
        $files = [];
        foreach ($bodies as $name => $body) {
            $file = $dir . '/' . preg_replace('/[^A-Za-z0-9._-]/', '_', (string) $name) . '.json';
            file_put_contents($file, $body);
            $files[] = $file;
        }
        return self::validate($files);
    }
}
