<?php

declare(strict_types=1);

/*
 * php php-bridge/standin/bin/demo-company.php build [--invoices=N] [--today=YYYY-MM-DD]
 * php php-bridge/standin/bin/demo-company.php report
 * php php-bridge/standin/bin/demo-company.php reverse --invoice=CODE [--reason=MD06]
 *
 * The demo's HostFact: `build` fills the stand-in (HFEXACT_DB_DSN, hooks from HFEXACT_STANDIN_ROOT
 * as bin/install.php wrote them) with the sample company of HostFactStandIn\DemoCompany and prints
 * what it made as JSON; `report` prints the HostFact side (debtors, creditors, invoices with status,
 * amount paid and pay date, purchase invoices, SDD batches, outbox and results counts) as JSON;
 * `reverse` is the bank's storno of a collected invoice (HostFact reopens it and fires
 * invoice_direct_debit_has_reversal).
 * Exit 1 with the reason on stderr when anything fails.
 */

require_once __DIR__ . '/../bootstrap.php';

use HostFactExact\Bridge;
use HostFactExact\Config;
use HostFactExact\HostFact\InternalApi;
use HostFactStandIn\DemoCompany;
use HostFactStandIn\HostFact;

$action = $argv[1] ?? '';
$options = [];
foreach (array_slice($argv, 2) as $arg) {
    if (preg_match('/^--(invoices|today|invoice|reason)=(.+)$/', $arg, $m) !== 1) {
        fwrite(STDERR, "unknown argument $arg\n");
        exit(2);
    }
    $options[$m[1]] = $m[2];
}
try {
    $hf = HostFact::instance();
    if ($action === 'build') {
        $config = Config::load();
        $bridge = Bridge::fromConfig($config, new InternalApi(), $hf->db);
        $today = is_string($options['today'] ?? null) ? $options['today'] : date('Y-m-d');
        $invoices = (int) ($options['invoices'] ?? 50);
        $made = (new DemoCompany($hf, $bridge, $today))->build($invoices);
        if ($hf->hooks->caughtExceptions !== []) {
            throw new RuntimeException('a hook failed: ' . json_encode($hf->hooks->caughtExceptions));
        }
        echo json_encode($made, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_PRETTY_PRINT), "\n";
    } elseif ($action === 'reverse' && isset($options['invoice'])) {
        $invoice = $hf->findOrFail('invoice', ['InvoiceCode' => $options['invoice']]);
        $hf->sdd->reverse((string) $invoice['Identifier'], $options['reason'] ?? 'MD06');
        if ($hf->hooks->caughtExceptions !== []) {
            throw new RuntimeException('a hook failed: ' . json_encode($hf->hooks->caughtExceptions));
        }
        echo json_encode(['reversed' => $options['invoice']], JSON_THROW_ON_ERROR), "\n";
    } elseif ($action === 'report') {
        echo json_encode(DemoCompany::report($hf), JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE), "\n";
    } else {
        fwrite(STDERR, "usage: demo-company.php build [--invoices=N] [--today=YYYY-MM-DD] | report | reverse --invoice=CODE [--reason=MD06]\n");
        exit(2);
    }
} catch (Throwable $e) {
    fwrite(STDERR, 'demo-company: ' . get_class($e) . ': ' . $e->getMessage() . "\n");
    exit(1);
}
