<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Unit;

use Error;
use HostFactStandIn\Hooks;
use PHPUnit\Framework\TestCase;

function hf_test_first(array $p): void { HostFactHooksLog::$calls[] = 'first:' . ($p['id'] ?? ''); }
function hf_test_second(array $p): void { HostFactHooksLog::$calls[] = 'second'; }
function hf_test_throws_exception(array $p): void { throw new \RuntimeException('boom'); }
function hf_test_throws_error(array $p): void { throw new Error('fatal'); }

final class HostFactHooksLog
{
    /** @var list<string> */
    public static array $calls = [];
}

/** The stand-in's add_action/do_action behave as HostFact's (shared/reference/hostfact.md 1.2). */
final class StandInHooksTest extends TestCase
{
    protected function setUp(): void
    {
        HostFactHooksLog::$calls = [];
    }

    /** Only named, existing functions are registered; closures and unknown names are ignored. */
    public function testRegistersNamedExistingFunctionsOnly(): void
    {
        $hooks = new Hooks();
        $hooks->addAction('invoice_is_sent', static fn () => null);
        $hooks->addAction('invoice_is_sent', 'hf_no_such_function');
        $hooks->addAction('invoice_is_sent', __NAMESPACE__ . '\hf_test_first');
        self::assertSame([__NAMESPACE__ . '\hf_test_first'], $hooks->registered('invoice_is_sent'));
    }

    /** Lower priority runs first; a function registered twice runs once per dispatch. */
    public function testPriorityOrderAndOncePerDispatch(): void
    {
        $hooks = new Hooks();
        $hooks->addAction('debtor_is_edited', __NAMESPACE__ . '\hf_test_second', 20);
        $hooks->addAction('debtor_is_edited', __NAMESPACE__ . '\hf_test_first', 5);
        $hooks->addAction('debtor_is_edited', __NAMESPACE__ . '\hf_test_first');
        $hooks->doAction('debtor_is_edited', ['id' => '7']);
        self::assertSame(['first:7', 'second'], HostFactHooksLog::$calls);
    }

    /** An Exception is caught and the next hook still runs; an Error escapes, as in HostFact. */
    public function testCatchesExceptionButNotError(): void
    {
        $hooks = new Hooks();
        $hooks->addAction('x', __NAMESPACE__ . '\hf_test_throws_exception', 1);
        $hooks->addAction('x', __NAMESPACE__ . '\hf_test_second', 2);
        $hooks->doAction('x');
        self::assertSame(['second'], HostFactHooksLog::$calls);
        self::assertSame('boom', $hooks->caughtExceptions[0]['error']);

        $hooks->addAction('y', __NAMESPACE__ . '\hf_test_throws_error');
        $this->expectException(Error::class);
        $hooks->doAction('y');
    }
}
