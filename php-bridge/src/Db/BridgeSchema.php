<?php

declare(strict_types=1);

namespace HostFactExact\Db;

/**
 * The bridge's own tables in HostFact's database (created by bin/install.php, idempotent).
 *
 *  hfexact_outbox    one row per hook call or poller finding; the relay publishes them in id order
 *  hfexact_state     small named values: poller cursors, last publish, schema version
 *  hfexact_settings  the export settings edited on the settings page (JSON), with their version
 *  hfexact_results   every result message received (inbox): idempotency by message id, display
 *  hfexact_exported  records known to be in Exact already (imported from HostFact_ExportHistory)
 */
final class BridgeSchema
{
    public const TABLES = ['hfexact_outbox', 'hfexact_state', 'hfexact_settings', 'hfexact_results', 'hfexact_exported'];

    public function __construct(private readonly Database $db)
    {
    }

    public function create(): void
    {
        $db = $this->db;
        $key = $db->autoIncrementKey();
        $opt = $db->tableOptions();
        $statements = [
            "CREATE TABLE IF NOT EXISTS hfexact_outbox (
                id $key,
                event_id CHAR(36) NOT NULL,
                event_type VARCHAR(64) NOT NULL,
                entity VARCHAR(32) NOT NULL,
                entity_id VARCHAR(64) NOT NULL,
                dedupe_key VARCHAR(191) NULL,
                params TEXT NOT NULL,
                occurred_at VARCHAR(32) NOT NULL,
                status VARCHAR(16) NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL DEFAULT 0,
                last_error TEXT NULL,
                created_at BIGINT NOT NULL,
                sent_at BIGINT NULL,
                CONSTRAINT hfexact_outbox_event_id UNIQUE (event_id),
                CONSTRAINT hfexact_outbox_dedupe UNIQUE (dedupe_key)
            )$opt",
            'CREATE INDEX ' . ($db->isSqlite() ? 'IF NOT EXISTS ' : '') . 'hfexact_outbox_status ON hfexact_outbox (status, id)',
            "CREATE TABLE IF NOT EXISTS hfexact_state (
                name VARCHAR(191) NOT NULL PRIMARY KEY,
                value TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            )$opt",
            "CREATE TABLE IF NOT EXISTS hfexact_settings (
                name VARCHAR(64) NOT NULL PRIMARY KEY,
                value TEXT NOT NULL,
                version CHAR(36) NOT NULL,
                updated_at BIGINT NOT NULL
            )$opt",
            "CREATE TABLE IF NOT EXISTS hfexact_results (
                message_id VARCHAR(64) NOT NULL PRIMARY KEY,
                type VARCHAR(64) NOT NULL,
                status VARCHAR(16) NOT NULL,
                reason TEXT NULL,
                hostfact_id VARCHAR(64) NULL,
                payload TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                processed_at BIGINT NULL
            )$opt",
            "CREATE TABLE IF NOT EXISTS hfexact_exported (
                kind VARCHAR(32) NOT NULL,
                reference_id VARCHAR(64) NOT NULL,
                package_reference VARCHAR(191) NOT NULL DEFAULT '',
                source VARCHAR(32) NOT NULL,
                exported_at VARCHAR(32) NOT NULL DEFAULT '',
                PRIMARY KEY (kind, reference_id)
            )$opt",
        ];
        foreach ($statements as $sql) {
            if (!$db->isSqlite() && str_starts_with($sql, 'CREATE INDEX')) {
                $exists = $db->one(
                    'SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?',
                    ['hfexact_outbox', 'hfexact_outbox_status'],
                );
                if ($exists !== null) {
                    continue;
                }
            }
            $db->pdo->exec($sql);
        }
    }

    public function drop(): void
    {
        foreach (self::TABLES as $table) {
            $this->db->pdo->exec("DROP TABLE IF EXISTS $table");
        }
    }

    public function exists(): bool
    {
        foreach (self::TABLES as $table) {
            if (!$this->db->tableExists($table)) {
                return false;
            }
        }
        return true;
    }
}
