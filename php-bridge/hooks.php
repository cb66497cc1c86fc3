<?php

declare(strict_types=1);

/*
 * The bridge's HostFact hooks. Included from HostFact's /Pro/includes/hooks.php by the guarded
 * block that bin/install.php writes. HostFact accepts named functions only and catches only
 * Exception, so each function catches every Throwable itself: a hook never breaks HostFact's request.
 */

require_once __DIR__ . '/autoload.php';

if (!function_exists('hfexact_hook')) {
    /** @param mixed $parameters */
    function hfexact_hook(string $hook, $parameters): void
    {
        try {
            \HostFactExact\Hook\HookRuntime::handle($hook, is_array($parameters) ? $parameters : []);
        } catch (\Throwable $e) {
            error_log('hfexact: hook ' . $hook . ' failed: ' . $e->getMessage());
        }
    }

    function hfexact_on_debtor_is_created($parameters = []): void { hfexact_hook('debtor_is_created', $parameters); }
    function hfexact_on_debtor_is_edited($parameters = []): void { hfexact_hook('debtor_is_edited', $parameters); }
    function hfexact_on_debtor_is_archived($parameters = []): void { hfexact_hook('debtor_is_archived', $parameters); }
    function hfexact_on_invoice_is_sent($parameters = []): void { hfexact_hook('invoice_is_sent', $parameters); }
    function hfexact_on_invoice_is_credited($parameters = []): void { hfexact_hook('invoice_is_credited', $parameters); }
    function hfexact_on_invoice_is_edited($parameters = []): void { hfexact_hook('invoice_is_edited', $parameters); }
    function hfexact_on_invoice_is_paid($parameters = []): void { hfexact_hook('invoice_is_paid', $parameters); }
    function hfexact_on_invoice_is_partly_paid($parameters = []): void { hfexact_hook('invoice_is_partly_paid', $parameters); }
    function hfexact_on_invoice_is_unpaid($parameters = []): void { hfexact_hook('invoice_is_unpaid', $parameters); }
    function hfexact_on_invoice_direct_debit_has_reversal($parameters = []): void { hfexact_hook('invoice_direct_debit_has_reversal', $parameters); }
    function hfexact_on_cronjob_task($parameters = []): void { hfexact_hook('cronjob_task', $parameters); }
}

if (!function_exists('hfexact_register_hooks')) {
    function hfexact_register_hooks(): void
    {
        if (!function_exists('add_action')) {
            return;
        }
        foreach (\HostFactExact\Hook\HookRecorder::HOOKS as $hook) {
            add_action($hook, 'hfexact_on_' . $hook);
        }
    }
}

hfexact_register_hooks();
