<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Unit;

use HostFactExact\Db\Database;
use HostFactExact\Db\HostConnection;
use PDO;
use PHPUnit\Framework\TestCase;

/** Finding HostFact's own connection, and using it without changing it. */
final class HostConnectionTest extends TestCase
{
    protected function tearDown(): void
    {
        HostConnection::provide(null);
        \Database_Model::$instance = null;
    }

    public static function setUpBeforeClass(): void
    {
        require_once __DIR__ . '/../../standin/database_model.php';
    }

    /** HostFact 6's Database_Model::getInstance() is found; a registered provider comes first. */
    public function testLookupOrder(): void
    {
        $hostfact = \Database_Model::open('sqlite::memory:');
        self::assertSame($hostfact, HostConnection::find());
        $other = new PDO('sqlite::memory:');
        HostConnection::provide(static fn (): PDO => $other);
        self::assertSame($other, HostConnection::find());
    }

    /** Nothing usable means "none" (the hook then connects itself), never an error in HostFact's request. */
    public function testNothingUsableIsNone(): void
    {
        self::assertNull(HostConnection::find(), 'Database_Model not connected: getInstance() throws');
        HostConnection::provide(static fn (): string => 'not a connection');
        self::assertNull(HostConnection::find());
        HostConnection::provide(static function (): PDO {
            throw new \Error('broken integration');
        });
        self::assertNull(HostConnection::find());
    }

    /** A borrowed connection keeps HostFact's attributes; statements are plain and failures throw. */
    public function testBorrowedConnectionIsUsedAsItIs(): void
    {
        $hostfact = \Database_Model::open('sqlite::memory:');
        $hostfact->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_SILENT);
        $db = Database::borrow($hostfact);
        self::assertTrue($db->borrowed);
        $db->run('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)');
        $db->run('INSERT INTO t (name) VALUES (?)', ['a']);
        self::assertSame(['id' => 1, 'name' => 'a'], $db->one('SELECT * FROM t'), 'arrays, whatever the default fetch mode');
        try {
            $db->run('INSERT INTO t (name) VALUES (?)', ['a']);
            self::fail('a failed statement must throw, also with ERRMODE_SILENT and a swallowing statement class');
        } catch (\PDOException $e) {
            self::assertStringContainsString('UNIQUE', $e->getMessage());
        }
        self::assertSame(PDO::FETCH_OBJ, $hostfact->getAttribute(PDO::ATTR_DEFAULT_FETCH_MODE));
        self::assertSame(PDO::ERRMODE_SILENT, $hostfact->getAttribute(PDO::ATTR_ERRMODE));
        self::assertSame([\Database_Model_Statement::class, []], $hostfact->getAttribute(PDO::ATTR_STATEMENT_CLASS));
    }
}
