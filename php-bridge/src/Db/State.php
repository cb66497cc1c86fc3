<?php

declare(strict_types=1);

namespace HostFactExact\Db;

/** Named values in hfexact_state (poller cursors, last publish time). */
final class State
{
    public function __construct(private readonly Database $db)
    {
    }

    public function get(string $name, ?string $default = null): ?string
    {
        $value = $this->db->run('SELECT value FROM hfexact_state WHERE name = ?', [$name])->fetchColumn();
        return $value === false ? $default : (string) $value;
    }

    public function set(string $name, string $value): void
    {
        $now = time();
        $sql = $this->db->isSqlite()
            ? 'INSERT INTO hfexact_state (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at'
            : 'INSERT INTO hfexact_state (name, value, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at)';
        $this->db->run($sql, [$name, $value, $now]);
    }
}
