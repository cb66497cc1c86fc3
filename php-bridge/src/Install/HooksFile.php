<?php

declare(strict_types=1);

namespace HostFactExact\Install;

use RuntimeException;

/**
 * The guarded include of the bridge in HostFact's /Pro/includes/hooks.php.
 *
 * The block sits between two marker comments; install adds it once (creating the file with a
 * "<?php" opening if needed) and keeps everything else byte for byte; uninstall removes exactly
 * the block. The include itself is guarded: a missing bridge directory never breaks HostFact.
 */
final class HooksFile
{
    public const BEGIN = '// >>> hostfact-exact-bridge (managed by php-bridge/bin/install.php; do not edit this block)';
    public const END = '// <<< hostfact-exact-bridge';

    public function __construct(public readonly string $path, private readonly string $bridgeHooks)
    {
    }

    public function block(): string
    {
        $target = var_export($this->bridgeHooks, true);
        return self::BEGIN . "\n"
            . "if (is_file($target)) {\n"
            . "    require_once $target;\n"
            . "}\n"
            . self::END . "\n";
    }

    public function isInstalled(): bool
    {
        return is_file($this->path) && str_contains((string) file_get_contents($this->path), self::BEGIN);
    }

    /** @return bool true when the file changed */
    public function install(): bool
    {
        if ($this->isInstalled()) {
            return false;
        }
        $dir = dirname($this->path);
        if (!is_dir($dir) && !mkdir($dir, 0755, true) && !is_dir($dir)) {
            throw new RuntimeException("cannot create $dir");
        }
        $current = is_file($this->path) ? (string) file_get_contents($this->path) : '';
        if (trim($current) === '') {
            $new = "<?php\n\n" . $this->block();
        } else {
            if (preg_match('/\?>\s*$/', $current) === 1) {
                // a closing tag at the end: reopen PHP for our block
                $new = rtrim($current) . "\n<?php\n" . $this->block();
            } else {
                $new = $current . (str_ends_with($current, "\n") ? '' : "\n") . "\n" . $this->block();
            }
        }
        $this->write($new);
        return true;
    }

    /** @return bool true when the file changed */
    public function uninstall(): bool
    {
        if (!$this->isInstalled()) {
            return false;
        }
        $current = (string) file_get_contents($this->path);
        $pattern = '/\n?(<\?php\n)?' . preg_quote(self::BEGIN, '/') . '.*?' . preg_quote(self::END, '/') . '\n?/s';
        $new = (string) preg_replace_callback($pattern, static function (array $m): string {
            return '';
        }, $current, 1);
        if (str_starts_with($new, "<?php\n\n") && trim(substr($new, 5)) === '') {
            $new = "<?php\n";
        }
        $this->write($new);
        return true;
    }

    private function write(string $content): void
    {
        $tmp = $this->path . '.hfexact.' . getmypid();
        if (file_put_contents($tmp, $content) === false || !rename($tmp, $this->path)) {
            @unlink($tmp);
            throw new RuntimeException("cannot write {$this->path}");
        }
    }
}
