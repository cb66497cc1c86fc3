<?php

declare(strict_types=1);

namespace HostFactExact\Settings;

/**
 * The settings page's form <-> the settings.changed payload. Maps are edited as lines
 * ("Hosting = 8010", "21 = 2, 6, 2, 7"); every problem comes back keyed by field.
 */
final class SettingsForm
{
    /**
     * @param array<string, mixed> $post $_POST
     * @return array{array<string, mixed>, array<string, string>} settings and problems
     */
    public static function parse(array $post): array
    {
        $problems = [];
        $enabled = [];
        foreach (ExportSettings::KINDS as $kind) {
            $enabled[$kind] = isset($post['enabled'][$kind]) && $post['enabled'][$kind] === 'on';
        }
        $text = static fn (string ...$path): string => trim((string) self::dig($post, $path));
        $settings = [
            'enabled' => $enabled,
            'debtor_code_mask' => $text('debtor_code_mask'),
            'creditor_code_mask' => $text('creditor_code_mask'),
            'journals' => ['sales' => $text('journals', 'sales'), 'purchase' => $text('journals', 'purchase'), 'memorial' => $text('journals', 'memorial')],
            'revenue_gl' => ['default' => $text('revenue_gl', 'default'), 'by_product_group' => self::pairs($text('revenue_gl_groups'), 'revenue_gl_groups', $problems)],
            'purchase_gl' => ['default' => $text('purchase_gl', 'default'), 'by_creditor_group' => self::pairs($text('purchase_gl_groups'), 'purchase_gl_groups', $problems)],
            'vat_codes' => [],
            'purchase_vat_codes' => self::pairs($text('purchase_vat_codes'), 'purchase_vat_codes', $problems),
            'sdd' => ['intermediate_gl' => $text('sdd', 'intermediate_gl'), 'journal' => $text('sdd', 'journal'), 'payment_condition' => $text('sdd', 'payment_condition')],
        ];
        foreach (self::pairs($text('vat_codes'), 'vat_codes', $problems) as $rate => $codes) {
            $parts = array_map('trim', explode(',', $codes));
            if (count($parts) !== 4) {
                $problems["vat_codes.$rate"] = 'four codes: domestic, EU business, EU consumer, outside the EU';
                continue;
            }
            $settings['vat_codes'][$rate] = array_combine(['domestic', 'eu_business', 'eu_consumer', 'non_eu'], $parts);
        }
        return [$settings, $problems + ExportSettings::problems($settings)];
    }

    /**
     * The form's values for the current settings.
     *
     * @param array<string, mixed> $s
     * @return array<string, string>
     */
    public static function lines(array $s): array
    {
        $join = static function (array $map, ?callable $format = null): string {
            $out = [];
            foreach ($map as $key => $value) {
                $out[] = $key . ' = ' . ($format !== null ? $format($value) : $value);
            }
            return implode("\n", $out);
        };
        return [
            'revenue_gl_groups' => $join((array) ($s['revenue_gl']['by_product_group'] ?? [])),
            'purchase_gl_groups' => $join((array) ($s['purchase_gl']['by_creditor_group'] ?? [])),
            'vat_codes' => $join((array) ($s['vat_codes'] ?? []), static fn (array $c): string => implode(', ', [$c['domestic'] ?? '', $c['eu_business'] ?? '', $c['eu_consumer'] ?? '', $c['non_eu'] ?? ''])),
            'purchase_vat_codes' => $join((array) ($s['purchase_vat_codes'] ?? [])),
        ];
    }

    /**
     * @param array<string, string> $problems
     * @return array<string, string>
     */
    private static function pairs(string $text, string $field, array &$problems): array
    {
        $out = [];
        foreach (preg_split('/\R/', $text) ?: [] as $n => $line) {
            if (trim($line) === '') {
                continue;
            }
            if (!str_contains($line, '=')) {
                $problems[$field] = sprintf('line %d: write "name = code"', $n + 1);
                continue;
            }
            [$key, $value] = array_map('trim', explode('=', $line, 2));
            if ($key === '' || isset($out[$key])) {
                $problems[$field] = sprintf('line %d: empty or repeated name "%s"', $n + 1, $key);
                continue;
            }
            $out[$key] = $value;
        }
        return $out;
    }

    /** @param list<string> $path */
    private static function dig(array $data, array $path): mixed
    {
        foreach ($path as $key) {
            if (!is_array($data) || !array_key_exists($key, $data)) {
                return '';
            }
            $data = $data[$key];
        }
        return is_scalar($data) ? $data : '';
    }
}
