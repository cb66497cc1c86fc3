<?php

declare(strict_types=1);

/*
 * php php-bridge/bin/backfill.php --since DATE [--types debtors,creditors,invoices,purchase_invoices] [--dry-run] [--no-publish] [--json]
 * The first export: imports HostFact_ExportHistory (HFEXACT_EXPORT_PACKAGE, default "exact") as
 * already exported, queues the existing records in the outbox and publishes them through the
 * relay, with progress and a summary. Safe to run twice.
 * --json: the summary as one JSON object on stdout instead of the text (progress stays on stderr);
 * with --dry-run it is what `hfexact backfill plan --php-json FILE` reads:
 *   {"since": DATE, "dry_run": true, "export_history": N, "types": {"invoices": {"found": N,
 *    "queued": N, "already_queued": N, "already_exported": N, "skipped": N}, ...}}
 */

require __DIR__ . '/bootstrap.php';

use HostFactExact\Backfill\Backfill;

$args = hfexact_args($argv, ['dry-run', 'no-publish', 'json'], ['since', 'types']);
$since = (string) ($args['since'] ?? '');
if (preg_match('/^\d{4}-\d{2}-\d{2}$/', $since) !== 1 || strtotime($since) === false) {
    fwrite(STDERR, "usage: backfill.php --since YYYY-MM-DD [--types debtors,creditors,invoices,purchase_invoices] [--dry-run] [--no-publish] [--json]\n");
    exit(2);
}
$types = isset($args['types']) ? array_values(array_filter(explode(',', (string) $args['types']))) : Backfill::TYPES;
$unknown = array_diff($types, Backfill::TYPES);
if ($unknown !== []) {
    fwrite(STDERR, 'unknown types: ' . implode(', ', $unknown) . ' (known: ' . implode(', ', Backfill::TYPES) . ")\n");
    exit(2);
}
$dryRun = isset($args['dry-run']);
$json = isset($args['json']);
$bridge = hfexact_bridge();
$backfill = $bridge->backfill();

$imported = $backfill->importExportHistory($dryRun);
$json || printf("%sHostFact_ExportHistory (%s): %d record(s) %s already exported\n", $dryRun ? '[dry run] ' : '', $bridge->config->exportPackage, $imported, $dryRun ? 'would be marked' : 'marked');

$last = '';
$summary = $backfill->run($since, $types, $dryRun, static function (string $type, int $done, int $total) use (&$last): void {
    if ($done === $total || $done % 50 === 0) {
        fprintf(STDERR, "\r%-18s %d/%d", $type, $done, $total);
        $last = $type;
        if ($done === $total) {
            fwrite(STDERR, "\n");
        }
    }
});

if ($json && ($dryRun || isset($args['no-publish']))) {
    echo json_encode(['since' => $since, 'dry_run' => $dryRun, 'export_history' => $imported, 'types' => $summary], JSON_THROW_ON_ERROR), "\n";
    exit(0);
}
$json || printf("%s%s since %s\n", $dryRun ? '[dry run] ' : '', 'backfill summary', $since);
foreach ($json ? [] : $summary as $type => $c) {
    printf(
        "  %-18s found %d  queued %d  already queued %d  already exported %d  skipped %d\n",
        $type, $c['found'], $c['queued'], $c['already_queued'], $c['already_exported'], $c['skipped'],
    );
}
if ($dryRun || isset($args['no-publish'])) {
    echo $dryRun ? "dry run: nothing queued, nothing published\n" : "queued; the relay publishes them\n";
    exit(0);
}
$relay = $bridge->relay(null, 200);
$published = 0;
do {
    $stats = $relay->runOnce(false, 1);
    $published += $stats['published'];
    fprintf(STDERR, "\rpublished %d, waiting %d", $published, $bridge->outbox->backlog());
} while (!$stats['broker_down'] && $stats['published'] + $stats['skipped'] + $stats['gone'] > 0);
fwrite(STDERR, "\n");
if ($json) {
    echo json_encode(['since' => $since, 'dry_run' => false, 'export_history' => $imported, 'types' => $summary, 'published' => $published, 'waiting' => $bridge->outbox->backlog(), 'broker_down' => $stats['broker_down']], JSON_THROW_ON_ERROR), "\n";
} else {
    printf("published %d event(s); %d still waiting%s\n", $published, $bridge->outbox->backlog(), $stats['broker_down'] ? ' (broker unavailable: the relay publishes them later)' : '');
}
exit($stats['broker_down'] ? 75 : 0);
