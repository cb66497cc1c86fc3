<?php

declare(strict_types=1);

namespace HostFactExact\Settings;

use stdClass;

/**
 * The export settings' rules (schemas/defs/settings.schema.json) for the settings page, and the
 * JSON shape of the settings.changed payload (maps stay JSON objects even when empty).
 */
final class ExportSettings
{
    public const KINDS = ['debtors', 'creditors', 'invoices', 'purchase_invoices', 'sdd_batches', 'payments'];
    private const MASK = '/^[0-9#]*#[0-9#]*$/';
    private const CODE = '/^\S(.*\S)?$/u';
    private const PERCENT = '/^(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$/';

    /**
     * @param array<string, mixed> $settings
     * @return array<string, mixed> with every map as an object
     */
    public static function toPayload(array $settings): array
    {
        $settings['revenue_gl']['by_product_group'] = self::object($settings['revenue_gl']['by_product_group'] ?? []);
        $settings['purchase_gl']['by_creditor_group'] = self::object($settings['purchase_gl']['by_creditor_group'] ?? []);
        $settings['vat_codes'] = self::object($settings['vat_codes'] ?? []);
        $settings['purchase_vat_codes'] = self::object($settings['purchase_vat_codes'] ?? []);
        return $settings;
    }

    /**
     * Field-keyed problems (empty when valid).
     *
     * @param array<string, mixed> $s
     * @return array<string, string>
     */
    public static function problems(array $s): array
    {
        $p = [];
        foreach (self::KINDS as $kind) {
            if (!is_bool($s['enabled'][$kind] ?? null)) {
                $p["enabled.$kind"] = 'must be on or off';
            }
        }
        foreach (['debtor_code_mask', 'creditor_code_mask'] as $mask) {
            $value = (string) ($s[$mask] ?? '');
            if (preg_match(self::MASK, $value) !== 1 || strlen($value) > 18) {
                $p[$mask] = 'digits and at least one #, at most 18 characters (e.g. 1###)';
            }
        }
        foreach (['sales', 'purchase', 'memorial'] as $journal) {
            self::code($p, "journals.$journal", $s['journals'][$journal] ?? null);
        }
        self::code($p, 'revenue_gl.default', $s['revenue_gl']['default'] ?? null);
        foreach ((array) ($s['revenue_gl']['by_product_group'] ?? []) as $group => $code) {
            self::code($p, "revenue_gl.by_product_group.$group", $code);
        }
        self::code($p, 'purchase_gl.default', $s['purchase_gl']['default'] ?? null);
        foreach ((array) ($s['purchase_gl']['by_creditor_group'] ?? []) as $group => $code) {
            self::code($p, "purchase_gl.by_creditor_group.$group", $code);
        }
        $vat = (array) ($s['vat_codes'] ?? []);
        if ($vat === []) {
            $p['vat_codes'] = 'at least one VAT rate';
        }
        foreach ($vat as $rate => $codes) {
            if (preg_match(self::PERCENT, (string) $rate) !== 1) {
                $p["vat_codes.$rate"] = 'the rate must be a percentage 0-100, e.g. 21';
            }
            foreach (['domestic', 'eu_business', 'eu_consumer', 'non_eu'] as $kind) {
                self::code($p, "vat_codes.$rate.$kind", is_array($codes) ? ($codes[$kind] ?? null) : null);
            }
        }
        $purchaseVat = (array) ($s['purchase_vat_codes'] ?? []);
        if ($purchaseVat === []) {
            $p['purchase_vat_codes'] = 'at least one VAT rate';
        }
        foreach ($purchaseVat as $rate => $code) {
            if (preg_match(self::PERCENT, (string) $rate) !== 1) {
                $p["purchase_vat_codes.$rate"] = 'the rate must be a percentage 0-100, e.g. 21';
            }
            self::code($p, "purchase_vat_codes.$rate", $code);
        }
        foreach (['intermediate_gl', 'journal', 'payment_condition'] as $key) {
            self::code($p, "sdd.$key", $s['sdd'][$key] ?? null);
        }
        return $p;
    }

    /** @param array<string, string> $p */
    private static function code(array &$p, string $field, mixed $value): void
    {
        if (!is_string($value) || $value === '' || mb_strlen($value) > 20 || preg_match(self::CODE, $value) !== 1) {
            $p[$field] = 'an Exact code: 1-20 characters, no surrounding spaces';
        }
    }

    /** @param array<mixed> $map */
    private static function object(mixed $map): stdClass
    {
        return (object) (is_array($map) ? $map : (array) $map);
    }
}
