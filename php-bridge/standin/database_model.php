<?php

declare(strict_types=1);

/*
 * HostFact's request-wide database connection, as HostFact 6 exposes it, for the stand-in.
 * Loaded by standin/functions.php; never inside a real HostFact (which has its own Database_Model).
 *
 * What the stand-in reproduces [reported: public decoded copy of HostFact 6's Pro/class/database.php]:
 *  - `Database_Model extends PDO`, one per request, reached with `Database_Model::getInstance()`;
 *  - beginTransaction/commit/rollBack nest with a level counter (only the outermost pair reaches
 *    the server), so HostFact code can open a transaction around code that opens one too;
 *  - exceptions as error mode, objects as the default fetch mode, and a statement class whose
 *    execute() swallows a PDOException and returns false (HostFact shows it as a flash message).
 * The bridge must cope with all of that without changing it (HostFactExact\Db\Database::borrow).
 */

if (!class_exists('Database_Model', false)) {
    class Database_Model extends PDO
    {
        public static ?Database_Model $instance = null;
        private int $level = 0;

        /** HostFact connects in its bootstrap; the stand-in's bootstrap (or a test) calls open() first. */
        public static function getInstance(): self
        {
            if (self::$instance === null) {
                throw new LogicException('HostFact stand-in: no database connection (call Database_Model::open() first)');
            }
            return self::$instance;
        }

        /** Connects and becomes the request's connection (getInstance()). */
        public static function open(string $dsn, string $user = '', string $password = ''): self
        {
            $pdo = new self($dsn, $user === '' ? null : $user, $password === '' ? null : $password);
            $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
            $pdo->setAttribute(PDO::ATTR_DEFAULT_FETCH_MODE, PDO::FETCH_OBJ);
            $pdo->setAttribute(PDO::ATTR_STATEMENT_CLASS, [Database_Model_Statement::class, []]);
            if ($pdo->getAttribute(PDO::ATTR_DRIVER_NAME) === 'sqlite') {
                // SQLite is the stand-in's own addition (HostFact runs on MariaDB/MySQL only)
                $pdo->exec('PRAGMA busy_timeout = 5000');
                $pdo->exec('PRAGMA journal_mode = WAL');
            }
            return self::$instance = $pdo;
        }

        public function beginTransaction(): bool
        {
            if ($this->level <= 0) {
                parent::beginTransaction();
            }
            $this->level++;
            return true;
        }

        public function commit(): bool
        {
            $this->level--;
            return $this->level <= 0 ? parent::commit() : true;
        }

        public function rollBack(): bool
        {
            $this->level--;
            return $this->level <= 0 ? parent::rollBack() : true;
        }
    }

    class Database_Model_Statement extends PDOStatement
    {
        protected function __construct()
        {
        }

        public function execute(?array $params = null): bool
        {
            try {
                return parent::execute($params);
            } catch (PDOException) {
                return false;
            }
        }
    }
}
