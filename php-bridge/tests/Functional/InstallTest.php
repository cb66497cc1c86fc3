<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Db\BridgeSchema;
use HostFactExact\Install\HooksFile;
use HostFactExact\Tests\Support\WorldTestCase;

/** bin/install.php against a HostFact root: tables, guarded include, idempotent, --uninstall. */
final class InstallTest extends WorldTestCase
{
    /** @dataProvider drivers */
    public function testInstallTwiceThenUninstall(string $driver): void
    {
        $world = $this->world($driver);
        $root = $world->dir . '/hostfact';
        mkdir($root . '/Pro/includes', 0777, true);
        $theirs = "<?php\nadd_action('invoice_is_paid', 'customer_provisioning');\nfunction customer_provisioning(\$p) {}\n";
        file_put_contents($root . '/Pro/includes/hooks.php', $theirs);
        (new BridgeSchema($world->db))->drop();

        [$code, $out, $err] = $world->runScript('install.php', ['--hostfact', $root]);
        self::assertSame(0, $code, $out . $err);
        self::assertTrue((new BridgeSchema($world->db))->exists());
        $once = (string) file_get_contents($root . '/Pro/includes/hooks.php');
        self::assertStringStartsWith($theirs, $once);
        self::assertStringContainsString(HooksFile::BEGIN, $once);

        [$code, $out] = $world->runScript('install.php', ['--hostfact', $root]);
        self::assertSame(0, $code);
        self::assertStringContainsString('already includes', $out);
        self::assertSame($once, file_get_contents($root . '/Pro/includes/hooks.php'));

        // HostFact's bootstrap includes the file: the bridge's hooks are registered next to the customer's
        [$code, $out, $err] = $world->runScript('relay.php', ['--once', '--no-poll'], ['HFEXACT_STANDIN_ROOT' => $root]);
        self::assertSame(0, $code, $err);

        [$code] = $world->runScript('install.php', ['--hostfact', $root, '--uninstall']);
        self::assertSame(0, $code);
        self::assertSame($theirs, file_get_contents($root . '/Pro/includes/hooks.php'));
    }

    /** The hooks file, included the way HostFact does, registers every bridge hook in the stand-in. */
    public function testIncludedHooksAreRegistered(): void
    {
        $world = $this->world();
        foreach (\HostFactExact\Hook\HookRecorder::HOOKS as $hook) {
            self::assertContains('hfexact_on_' . $hook, $world->hostfact->hooks->registered($hook));
        }
    }
}
