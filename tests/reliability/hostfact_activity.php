<?php

declare(strict_types=1);

/*
 * php tests/reliability/hostfact_activity.php --invoices=N [--sleep-ms=M] [--edit-every=K]
 *
 * HostFact users at work, through the stand-in's internalAPI (so every hook fires and writes its
 * outbox row, whatever the broker does): N invoices sent to the existing debtors (an edit of a
 * debtor every K invoices), M milliseconds apart. Prints one JSON line per change. Exit 1 when
 * HostFact refused anything or a hook threw. Environment as for php-bridge/bin/*.
 */

require __DIR__ . '/../../php-bridge/standin/bootstrap.php';

use HostFactStandIn\HostFact;

$options = ['invoices' => '10', 'sleep-ms' => '20', 'edit-every' => '7'];
foreach (array_slice($argv, 1) as $arg) {
    if (preg_match('/^--(invoices|sleep-ms|edit-every)=(\d+)$/', $arg, $m) !== 1) {
        fwrite(STDERR, "unknown argument $arg\n");
        exit(2);
    }
    $options[$m[1]] = $m[2];
}
$hf = HostFact::instance();
$debtors = $hf->api('debtor', 'list', ['limit' => 1000])['debtors'];
if ($debtors === []) {
    fwrite(STDERR, "no debtors: build the company first\n");
    exit(1);
}
$lines = [
    ['ProductCode' => 'P0001', 'Description' => 'Webhosting Pro – 12 maanden', 'Number' => '12', 'PriceExcl' => '12.50', 'TaxPercentage' => 21],
    ['ProductCode' => 'P0002', 'Description' => 'Domeinnaam .nl – 1 jaar', 'Number' => '1', 'PriceExcl' => '8.95', 'TaxPercentage' => 21],
];
$count = (int) $options['invoices'];
for ($n = 0; $n < $count; $n++) {
    $debtor = $debtors[$n % count($debtors)];
    $foreign = $debtor['Country'] !== 'NL' && ($debtor['TaxNumber'] ?? '') !== '';
    $params = ['Debtor' => $debtor['Identifier'], 'Term' => 14, 'Authorisation' => 'no',
        'InvoiceLines' => array_map(static fn (array $l): array => ['TaxPercentage' => $foreign ? 0 : $l['TaxPercentage']] + $l, array_slice($lines, 0, 1 + $n % 2))];
    $added = $hf->api('invoice', 'add', $params);
    $sent = $hf->api('invoice', 'sendbyemail', ['Identifier' => $added['invoice']['Identifier'] ?? '']);
    if (($sent['status'] ?? '') !== 'success') {
        fwrite(STDERR, 'HostFact refused: ' . json_encode($sent) . "\n");
        exit(1);
    }
    echo json_encode(['invoice' => $sent['invoice']['InvoiceCode']]), "\n";
    if ((int) $options['edit-every'] > 0 && $n % (int) $options['edit-every'] === 0) {
        $edited = $hf->api('debtor', 'edit', ['Identifier' => $debtor['Identifier'], 'City' => 'Stad ' . $n]);
        echo json_encode(['debtor' => $edited['debtor']['DebtorCode'] ?? '']), "\n";
    }
    usleep(1000 * (int) $options['sleep-ms']);
}
if ($hf->hooks->caughtExceptions !== []) {
    fwrite(STDERR, 'a hook failed: ' . json_encode($hf->hooks->caughtExceptions) . "\n");
    exit(1);
}
