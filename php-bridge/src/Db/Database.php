<?php

declare(strict_types=1);

namespace HostFactExact\Db;

use PDO;
use PDOStatement;

/**
 * One PDO connection plus the few places where MariaDB/MySQL and SQLite differ.
 *
 * The bridge's tables live in HostFact's own database (MariaDB/MySQL in production); SQLite runs
 * the same code in tests and small setups.
 */
final class Database
{
    private function __construct(public readonly PDO $pdo, public readonly string $driver)
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
        $statement = $this->pdo->prepare($sql);
        $statement->execute($params);
        return $statement;
    }

    /**
     * @param list<mixed> $params
     * @return list<array<string, mixed>>
     */
    public function all(string $sql, array $params = []): array
    {
        return array_values($this->run($sql, $params)->fetchAll());
    }

    /**
     * @param list<mixed> $params
     * @return array<string, mixed>|null
     */
    public function one(string $sql, array $params = []): ?array
    {
        $row = $this->run($sql, $params)->fetch();
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
