<?php

declare(strict_types=1);

namespace HostFactExact\Settings;

use HostFactExact\Bridge;
use HostFactExact\Event\EventType;
use HostFactExact\Support\Json;

/**
 * The export settings page: shows and edits every setting of settings.changed, saves, queues the
 * settings.changed event (the relay publishes it), and shows the worker's last settings.validated
 * answer, recent export errors, the outbox backlog and the last publish.
 */
final class SettingsPage
{
    public function __construct(private readonly Bridge $bridge)
    {
    }

    /**
     * @param array<string, mixed> $post
     * @param array<string, mixed> $session by reference: CSRF token and flash message
     * @return array{int, array<string, string>, string} status, headers, body
     */
    public function handle(string $method, array $post, array &$session): array
    {
        $session['csrf'] ??= bin2hex(random_bytes(16));
        if ($method === 'POST') {
            if (!hash_equals((string) $session['csrf'], (string) ($post['csrf'] ?? ''))) {
                return [400, ['Content-Type' => 'text/plain; charset=utf-8'], "invalid form token; reload the page\n"];
            }
            [$settings, $problems] = SettingsForm::parse($post);
            if ($problems !== []) {
                return [422, ['Content-Type' => 'text/html; charset=utf-8'], $this->render($settings, $problems, $session, $post)];
            }
            $version = $this->bridge->settings->save($settings);
            $this->bridge->outbox->record(EventType::SETTINGS_CHANGED, 'settings', SettingsRepository::NAME, ['settings' => $settings], null, $version);
            $session['flash'] = 'Saved. The settings go to the worker for checking (version ' . $version . ').';
            return [303, ['Location' => '?saved=1'], ''];
        }
        $flash = $session['flash'] ?? null;
        unset($session['flash']);
        return [200, ['Content-Type' => 'text/html; charset=utf-8'], $this->render($this->bridge->settings->current(), [], $session, null, is_string($flash) ? $flash : null)];
    }

    /**
     * @param array<string, mixed> $s
     * @param array<string, string> $problems
     * @param array<string, mixed> $session
     * @param array<string, mixed>|null $post the submitted form (re-shown as typed when invalid)
     */
    private function render(array $s, array $problems, array $session, ?array $post, ?string $flash = null): string
    {
        $e = static fn (mixed $v): string => htmlspecialchars((string) $v, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
        $lines = $post !== null
            ? array_map(static fn ($v): string => is_string($v) ? $v : '', array_intersect_key($post, array_flip(['revenue_gl_groups', 'purchase_gl_groups', 'vat_codes', 'purchase_vat_codes']))) + SettingsForm::lines($s)
            : SettingsForm::lines($s);
        $error = static function (string $prefix) use ($problems, $e): string {
            $out = '';
            foreach ($problems as $field => $message) {
                if ($field === $prefix || str_starts_with($field, $prefix . '.')) {
                    $out .= '<div class="error" data-field="' . $e($field) . '">' . $e($field . ': ' . $message) . '</div>';
                }
            }
            return $out;
        };
        $input = static fn (string $name, string $value, string $label, string $field) => '<label>' . $e($label) . ' <input type="text" name="' . $e($name) . '" id="' . $e(str_replace(['[', ']'], ['-', ''], $name)) . '" value="' . $e($value) . '"></label>' . $error($field);
        $area = static fn (string $name, string $label, string $hint) => '<label>' . $e($label) . ' <small>' . $e($hint) . '</small><textarea name="' . $e($name) . '" id="' . $e($name) . '" rows="4">' . $e($lines[$name] ?? '') . '</textarea></label>' . $error($name);

        $html = '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Exact Online export – instellingen</title>'
            . '<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}label{display:block;margin:.4em 0}textarea{width:100%}.error{color:#b00}'
            . 'fieldset{margin:1em 0}.ok{color:#070}.status td{padding:.1em .6em}</style></head><body>'
            . '<h1>Exact Online export</h1>';
        if ($flash !== null) {
            $html .= '<p class="flash ok" id="flash">' . $e($flash) . '</p>';
        }
        if ($problems !== []) {
            $html .= '<p class="error" id="form-errors">Not saved: ' . count($problems) . ' problem(s) below.</p>';
        }
        $html .= $this->statusHtml($e);
        $html .= '<form method="post" id="settings"><input type="hidden" name="csrf" value="' . $e($session['csrf']) . '">';
        $html .= '<fieldset><legend>Export per type</legend>';
        $labels = ['debtors' => 'Debiteuren', 'creditors' => 'Crediteuren', 'invoices' => 'Verkoopfacturen', 'purchase_invoices' => 'Inkoopfacturen', 'sdd_batches' => 'Incassobatches', 'payments' => 'Betalingen ophalen'];
        foreach (ExportSettings::KINDS as $kind) {
            $checked = ($s['enabled'][$kind] ?? false) === true ? ' checked' : '';
            $html .= '<label><input type="checkbox" name="enabled[' . $kind . ']" id="enabled-' . $kind . '"' . $checked . '> ' . $e($labels[$kind]) . '</label>';
        }
        $html .= '</fieldset><fieldset><legend>Relatienummers</legend>'
            . $input('debtor_code_mask', (string) ($s['debtor_code_mask'] ?? ''), 'Debiteurnummer-masker (bijv. 1###)', 'debtor_code_mask')
            . $input('creditor_code_mask', (string) ($s['creditor_code_mask'] ?? ''), 'Crediteurnummer-masker (bijv. 2###)', 'creditor_code_mask')
            . '</fieldset><fieldset><legend>Dagboeken</legend>'
            . $input('journals[sales]', (string) ($s['journals']['sales'] ?? ''), 'Verkoopboek', 'journals.sales')
            . $input('journals[purchase]', (string) ($s['journals']['purchase'] ?? ''), 'Inkoopboek', 'journals.purchase')
            . $input('journals[memorial]', (string) ($s['journals']['memorial'] ?? ''), 'Memoriaal', 'journals.memorial')
            . '</fieldset><fieldset><legend>Grootboekrekeningen</legend>'
            . $input('revenue_gl[default]', (string) ($s['revenue_gl']['default'] ?? ''), 'Omzet (standaard)', 'revenue_gl.default')
            . $area('revenue_gl_groups', 'Omzet per productgroep', 'één per regel: Hosting = 8010')
            . $error('revenue_gl.by_product_group')
            . $input('purchase_gl[default]', (string) ($s['purchase_gl']['default'] ?? ''), 'Inkoop (standaard)', 'purchase_gl.default')
            . $area('purchase_gl_groups', 'Inkoop per crediteurgroep', 'één per regel: Datacenter = 4010')
            . $error('purchase_gl.by_creditor_group')
            . '</fieldset><fieldset><legend>Btw-codes</legend>'
            . $area('vat_codes', 'Verkoop per btw-percentage', 'percentage = binnenland, EU zakelijk, EU particulier, buiten EU (bijv. 21 = 2, 6, 2, 7)')
            . $area('purchase_vat_codes', 'Inkoop per btw-percentage', 'percentage = code (bijv. 21 = 3)')
            . '</fieldset><fieldset><legend>Incasso (SEPA)</legend>'
            . $input('sdd[intermediate_gl]', (string) ($s['sdd']['intermediate_gl'] ?? ''), 'Tussenrekening incassobatches', 'sdd.intermediate_gl')
            . $input('sdd[journal]', (string) ($s['sdd']['journal'] ?? ''), 'Dagboek incassobatches', 'sdd.journal')
            . $input('sdd[payment_condition]', (string) ($s['sdd']['payment_condition'] ?? ''), 'Betalingsconditie incasso', 'sdd.payment_condition')
            . '</fieldset><button type="submit" id="save">Opslaan</button></form></body></html>';
        return $html;
    }

    private function statusHtml(callable $e): string
    {
        $db = $this->bridge->db;
        $version = $this->bridge->settings->version();
        $validated = $db->one("SELECT payload, received_at FROM hfexact_results WHERE type = 'settings.validated' ORDER BY received_at DESC, message_id DESC LIMIT 1");
        $html = '<table class="status" id="status">';
        if ($validated === null) {
            $html .= '<tr><th>Controle door Exact</th><td id="validation">nog geen antwoord</td></tr>';
        } else {
            $data = Json::decodeObject((string) $validated['payload'])['data'] ?? [];
            $current = ($data['settings_version'] ?? '') === $version ? '' : ' (voor een eerdere versie)';
            $answer = ($data['valid'] ?? false) === true ? 'in orde' : 'problemen: ' . implode('; ', array_map('strval', (array) ($data['problems'] ?? [])));
            $html .= '<tr><th>Controle door Exact</th><td id="validation">' . $e($answer . $current) . '</td></tr>';
        }
        $errors = $db->all("SELECT payload FROM hfexact_results WHERE type = 'export.failed' ORDER BY received_at DESC LIMIT 10");
        $html .= '<tr><th>Exportfouten</th><td id="export-errors">';
        if ($errors === []) {
            $html .= 'geen';
        }
        foreach ($errors as $row) {
            $data = Json::decodeObject((string) $row['payload'])['data'] ?? [];
            $html .= '<div>' . $e(($data['kind'] ?? '') . ' ' . ($data['hostfact_code'] ?? '') . ': ' . ($data['reason'] ?? '') . (($data['exact_message'] ?? '') !== '' ? ' (' . $data['exact_message'] . ')' : '')) . '</div>';
        }
        $last = $this->bridge->state->get('relay.last_publish');
        $html .= '</td></tr><tr><th>Wachtrij (outbox)</th><td id="backlog">' . $this->bridge->outbox->backlog() . '</td></tr>'
            . '<tr><th>Laatst verzonden</th><td id="last-publish">' . $e($last ?? 'nog nooit') . '</td></tr></table>';
        return $html;
    }
}
