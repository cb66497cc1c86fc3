<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Unit;

use HostFactExact\Install\HooksFile;
use PHPUnit\Framework\TestCase;

/** The guarded include in HostFact's /Pro/includes/hooks.php: added once, removed cleanly. */
final class HooksFileTest extends TestCase
{
    private string $dir;

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/hfexact-hooksfile-' . bin2hex(random_bytes(4));
        mkdir($this->dir . '/Pro/includes', 0777, true);
    }

    protected function tearDown(): void
    {
        @unlink($this->dir . '/Pro/includes/hooks.php');
        @rmdir($this->dir . '/Pro/includes');
        @rmdir($this->dir . '/Pro');
        @rmdir($this->dir);
    }

    /** Existing hooks stay byte for byte; install is idempotent; uninstall restores the file. */
    public function testKeepsExistingContent(): void
    {
        $path = $this->dir . '/Pro/includes/hooks.php';
        $original = "<?php\n// the customer's own hook\nadd_action('invoice_is_paid', 'my_provisioning');\nfunction my_provisioning(\$p) {}\n";
        file_put_contents($path, $original);
        $file = new HooksFile($path, '/opt/hfexact/php-bridge/hooks.php');
        self::assertTrue($file->install());
        self::assertFalse($file->install(), 'second install changes nothing');
        $installed = (string) file_get_contents($path);
        self::assertStringStartsWith($original, $installed);
        self::assertSame(1, substr_count($installed, HooksFile::BEGIN));
        self::assertStringContainsString("if (is_file('/opt/hfexact/php-bridge/hooks.php'))", $installed);
        self::assertSame('', trim((string) shell_exec('php -l ' . escapeshellarg($path) . ' 2>&1 | grep -v "No syntax errors"')));
        self::assertTrue($file->uninstall());
        self::assertSame($original, file_get_contents($path));
        self::assertFalse($file->uninstall());
    }

    /** A missing file is created with a PHP opening tag; a file ending in ?> gets PHP reopened. */
    public function testCreatesOrReopens(): void
    {
        $path = $this->dir . '/Pro/includes/hooks.php';
        $file = new HooksFile($path, '/x/hooks.php');
        $file->install();
        self::assertStringStartsWith("<?php\n", (string) file_get_contents($path));
        $file->uninstall();
        file_put_contents($path, "<?php\nfunction a() {}\n?>\n");
        $file->install();
        self::assertSame('', trim((string) shell_exec('php -l ' . escapeshellarg($path) . ' 2>&1 | grep -v "No syntax errors"')));
    }
}
