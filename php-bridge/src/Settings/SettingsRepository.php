<?php

declare(strict_types=1);

namespace HostFactExact\Settings;

use HostFactExact\Db\Database;
use HostFactExact\Support\Json;
use HostFactExact\Support\Uuid;

/**
 * The export settings (the settings.changed payload, design §4) in hfexact_settings.
 * Until the operator saves, the defaults below apply and every kind is switched on.
 */
final class SettingsRepository
{
    public const NAME = 'export';

    public function __construct(private readonly Database $db)
    {
    }

    /** @return array<string, mixed> */
    public static function defaults(): array
    {
        return [
            'enabled' => [
                'debtors' => true, 'creditors' => true, 'invoices' => true, 'purchase_invoices' => true,
                'sdd_batches' => true, 'payments' => true,
            ],
            'debtor_code_mask' => '1###',
            'creditor_code_mask' => '2###',
            'journals' => ['sales' => '70', 'purchase' => '60', 'memorial' => '90'],
            'revenue_gl' => ['default' => '8000', 'by_product_group' => []],
            'purchase_gl' => ['default' => '4000', 'by_creditor_group' => []],
            'vat_codes' => [
                '21' => ['domestic' => '2', 'eu_business' => '6', 'eu_consumer' => '2', 'non_eu' => '7'],
                '9' => ['domestic' => '1', 'eu_business' => '6', 'eu_consumer' => '1', 'non_eu' => '7'],
                '0' => ['domestic' => '0', 'eu_business' => '6', 'eu_consumer' => '0', 'non_eu' => '7'],
            ],
            'purchase_vat_codes' => ['21' => '3', '9' => '4', '0' => '0'],
            'sdd' => ['intermediate_gl' => '1105', 'journal' => '90', 'payment_condition' => 'IN'],
        ];
    }

    /** @return array<string, mixed> */
    public function current(): array
    {
        $row = $this->db->one('SELECT value FROM hfexact_settings WHERE name = ?', [self::NAME]);
        return $row === null ? self::defaults() : Json::decodeObject((string) $row['value']);
    }

    public function version(): ?string
    {
        $row = $this->db->one('SELECT version FROM hfexact_settings WHERE name = ?', [self::NAME]);
        return $row === null ? null : (string) $row['version'];
    }

    /** @param array<string, mixed>|null $settings current() read once by the caller (the relay: once per batch) */
    public function isEnabled(string $kind, ?array $settings = null): bool
    {
        $enabled = ($settings ?? $this->current())['enabled'] ?? [];
        return !is_array($enabled) || ($enabled[$kind] ?? true) === true;
    }

    /**
     * Saves the settings; returns the new version (the id of the settings.changed event).
     *
     * @param array<string, mixed> $settings already validated
     */
    public function save(array $settings, ?string $version = null): string
    {
        $version ??= Uuid::v4();
        $value = Json::encode($settings);
        $now = time();
        $sql = $this->db->isSqlite()
            ? 'INSERT INTO hfexact_settings (name, value, version, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, version = excluded.version, updated_at = excluded.updated_at'
            : 'INSERT INTO hfexact_settings (name, value, version, updated_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value), version = VALUES(version), updated_at = VALUES(updated_at)';
        $this->db->run($sql, [self::NAME, $value, $version, $now]);
        return $version;
    }
}
