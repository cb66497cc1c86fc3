<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Event\EventFactory;
use HostFactExact\Event\EventType;
use HostFactExact\Outbox\OutboxRow;
use HostFactExact\Relay\Enricher;
use HostFactExact\Settings\SettingsRepository;
use HostFactExact\Tests\Support\Validator;
use HostFactExact\Tests\Support\WorldTestCase;
use HostFactStandIn\SampleData;

/**
 * The events the bridge builds from HostFact objects validate against schemas/ (checked by the
 * Python validator, `hfexact validate`), for every event type.
 */
final class ContractTest extends WorldTestCase
{
    /** Every event type, built from the stand-in's objects as the relay builds them, is valid. */
    public function testEveryEventTypeValidates(): void
    {
        $world = $this->world();
        $hf = $world->hostfact;
        $ids = SampleData::seed($hf);
        $outbox = $world->bridge->outbox;
        $enricher = new Enricher($world->bridge->hostfact, $world->db, $world->bridge->events);
        $bodies = [];
        $types = [];
        $collect = static function () use ($outbox, $enricher, &$bodies, &$types): void {
            // as the relay does right after the request: build what is due now
            foreach ($outbox->due(1000) as $row) {
                $key = sprintf('%03d-%s', $row->id, $row->eventType);
                if (!isset($bodies[$key])) {
                    $bodies[$key] = EventFactory::toJson($enricher->envelope($row));
                    $types[$row->eventType] = true;
                }
            }
        };

        // debtors: upserted by the hooks; one archived
        $hf->api('debtor', 'edit', ['Identifier' => $ids['eu'], 'PhoneNumber' => '+32 2 123 45 67']);
        $hf->api('debtor', 'delete', ['Identifier' => $ids['consumer']]);
        // invoices: a multi-line invoice sent, a consumer invoice, an EU reverse-charge invoice, a credit invoice
        $first = SampleData::conceptInvoice($hf, $ids['bv'], 4);
        $hf->api('invoice', 'sendbyemail', ['Identifier' => $first]);
        $eu = SampleData::conceptInvoice($hf, $ids['eu'], 1);
        $hf->api('invoice', 'sendbyemail', ['Identifier' => $eu]);
        $collect();
        $hf->api('invoice', 'partpayment', ['Identifier' => $first, 'AmountPaid' => '50.00', 'PayDate' => '2026-11-29']);
        $hf->api('invoice', 'credit', ['Identifier' => $eu]);
        // purchase invoice + creditor (polled), an SDD batch and a reversal
        $world->bridge->pollers()->startCursors('2000-01-01 00:00:00');
        $hf->api('creditinvoice', 'add', ['Creditor' => $ids['creditor'], 'InvoiceCode' => 'DCN-2026-1101', 'InvoiceLines' => [
            ['Description' => 'Rackhuur november', 'Number' => '1', 'PriceExcl' => '750', 'TaxPercentage' => 21],
            ['Description' => 'Stroom', 'Number' => '312.5', 'PriceExcl' => '0.2875', 'TaxPercentage' => 21],
        ]]);
        $sdd = SampleData::conceptInvoice($hf, $ids['bv'], 1);
        $hf->api('invoice', 'sendbyemail', ['Identifier' => $sdd]);
        $batch = $hf->sdd->createBatch('2026-12-01', [$sdd]);
        $hf->sdd->setStatus($batch, 'downloaded');
        $world->bridge->pollers()->poll();
        $hf->sdd->reverse($sdd, 'MD06 Terugboeking op verzoek van de klant');
        // settings
        $outbox->record(EventType::SETTINGS_CHANGED, 'settings', 'export', ['settings' => SettingsRepository::defaults()]);
        $collect();
        self::assertEqualsCanonicalizing(EventType::EVENTS, array_keys($types), 'the scenario covers every event type');
        [$code, $output] = Validator::validateBodies($world->dir . '/events', $bodies);
        self::assertSame(0, $code, "hfexact validate rejected an event:\n" . $output);
    }
}
