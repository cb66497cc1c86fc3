<?php

declare(strict_types=1);

namespace HostFactExact\Db;

use PDO;
use PDOException;
use PDOStatement;

/**
 * One PDO connection plus the few places where MariaDB/MySQL and SQLite differ.
 *
 * The bridge's tables live in HostFact's own database (MariaDB/MySQL in production); SQLite runs
 * the same code in tests and small setups.
 *
 * The connection is either the bridge's own (connect(), wrap()) or HostFact's, borrowed for a hook
 * (borrow()). A borrowed connection is used as it is: no attribute is changed, every statement is a
 * plain PDOStatement (HostFact installs its own statement class, whose execute() swallows errors),
 * rows are fetched as arrays explicitly, and a failed statement throws whatever the error mode.
 */
final class Database
{
    private const PLAIN_STATEMENT = [PDO::ATTR_STATEMENT_CLASS => [PDOStatement::class]];

    private function __construct(public readonly PDO $pdo, public readonly string $driver, public readonly bool $borrowed = false)
    {
    }

    public static function connect(string $dsn, string $user = '', string $password = '', float $timeout = 2.0): self
    {
        $pdo = new PDO($dsn, $user === '' ? null : $user, $password === '' ? null : $password, [
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
            PDO::ATTR_EMULATE_PREPARES => false,
            PDO::ATTR_TIMEOUT => max(1, (int) ceil($timeout)),
            PDO::ATTR_STRINGIFY_FETCHES => false,
        ]);
        return self::wrap($pdo);
    }

    public static function wrap(PDO $pdo): self
    {
        $driver = (string) $pdo->getAttribute(PDO::ATTR_DRIVER_NAME);
        $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
        $pdo->setAttribute(PDO::ATTR_DEFAULT_FETCH_MODE, PDO::FETCH_ASSOC);
        if ($driver === 'sqlite') {
            $pdo->exec('PRAGMA busy_timeout = 5000');
            $pdo->exec('PRAGMA journal_mode = WAL');
        }
        return new self($pdo, $driver);
    }

    /** Someone else's open connection (HostFact's), used without changing any of its attributes. */
    public static function borrow(PDO $pdo): self
    {
        return new self($pdo, (string) $pdo->getAttribute(PDO::ATTR_DRIVER_NAME), true);
    }

    /** A plain PDOStatement, whatever statement class the connection's owner installed. */
    public function prepare(string $sql): PDOStatement
    {
        $statement = $this->pdo->prepare($sql, self::PLAIN_STATEMENT);
        if (!$statement instanceof PDOStatement) {
            throw self::failure($this->pdo->errorInfo(), $sql);
        }
        return $statement;
    }

    /**
     * Executes and throws on failure, also on a connection whose error mode is not "exception".
     *
     * @param list<mixed> $params
     */
    public static function execute(PDOStatement $statement, array $params = []): PDOStatement
    {
        if ($statement->execute($params) === false) {
            throw self::failure($statement->errorInfo(), $statement->queryString);
        }
        return $statement;
    }

    /** @param array<int, mixed> $info PDO errorInfo() */
    private static function failure(array $info, string $sql): PDOException
    {
        $e = new PDOException(sprintf('SQLSTATE[%s]: %s (%s)', (string) ($info[0] ?? 'HY000'), (string) ($info[2] ?? 'statement failed'), $sql));
        $e->errorInfo = $info;
        return $e;
    }

    public function isSqlite(): bool
    {
        return $this->driver === 'sqlite';
    }

    /** Column type of an auto-increment primary key. */
    public function autoIncrementKey(): string
    {
        return $this->isSqlite() ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY';
    }

    public function tableOptions(): string
    {
        return $this->isSqlite() ? '' : ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
    }

    /** "INSERT ... " that does nothing when a unique key already holds the row. */
    public function insertIgnoringDuplicates(string $table, array $columns, string $keyColumn): string
    {
        $names = implode(', ', $columns);
        $marks = implode(', ', array_fill(0, count($columns), '?'));
        return $this->isSqlite()
            ? "INSERT INTO $table ($names) VALUES ($marks) ON CONFLICT DO NOTHING"
            : "INSERT INTO $table ($names) VALUES ($marks) ON DUPLICATE KEY UPDATE $keyColumn = $keyColumn";
    }

    public function tableExists(string $table): bool
    {
        $sql = $this->isSqlite()
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?"
            : 'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?';
        return $this->run($sql, [$table])->fetchColumn() !== false;
    }

    /** @param list<mixed> $params */
    public function run(string $sql, array $params = []): PDOStatement
    {
        return self::execute($this->prepare($sql), $params);
    }

    /**
     * @param list<mixed> $params
     * @return list<array<string, mixed>>
     */
    public function all(string $sql, array $params = []): array
    {
        return array_values($this->run($sql, $params)->fetchAll(PDO::FETCH_ASSOC));
    }

    /**
     * @param list<mixed> $params
     * @return array<string, mixed>|null
     */
    public function one(string $sql, array $params = []): ?array
    {
        $row = $this->run($sql, $params)->fetch(PDO::FETCH_ASSOC);
        return is_array($row) ? $row : null;
    }

    /** @template T @param callable(): T $work @return T */
    public function transaction(callable $work): mixed
    {
        $this->pdo->beginTransaction();
        try {
            $result = $work();
            $this->pdo->commit();
            return $result;
        } catch (\Throwable $e) {
            if ($this->pdo->inTransaction()) {
                $this->pdo->rollBack();
            }
            throw $e;
        }
    }
}
