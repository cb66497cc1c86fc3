<?php

declare(strict_types=1);

namespace HostFactStandIn;

use HostFactExact\Bridge;
use HostFactExact\Settings\SettingsPage;
use InvalidArgumentException;

/**
 * The demo's sample company: a Dutch hosting firm as HostFact holds it, built through the
 * stand-in's internalAPI() so every hook fires as in HostFact.
 *
 *  - twelve debtors: Dutch businesses and consumers, EU businesses (reverse charge) and EU
 *    consumers; four sign direct-debit mandates;
 *  - products in two groups (Hosting: webhosting 21 %, e-book 9 %; Domeinnamen: domains 21 %);
 *  - 50 sales invoices over the last two months (EU businesses at 0 %), one of them credited
 *    (a credit invoice with status 8), four collected in a direct-debit batch that reaches
 *    "downloaded";
 *  - two creditors (one in the creditor group Datacenter) with one purchase invoice each;
 *  - the export settings saved through the settings page (which queues settings.changed).
 *
 * Amounts and dates are fixed relative to "today", so a run is the same every day.
 */
final class DemoCompany
{
    /** name, fields (debtor/add); a Mandate key marks a direct-debit debtor */
    private const DEBTORS = [
        ['Voorbeeld Hosting B.V.', ['CompanyName' => 'Voorbeeld Hosting B.V.', 'CompanyNumber' => '12345678', 'LegalForm' => 'BV', 'TaxNumber' => 'NL123456789B01', 'Initials' => 'Jan', 'SurName' => 'de Vries', 'Address' => 'Keizersgracht 1', 'ZipCode' => '1015 CJ', 'City' => 'Amsterdam', 'Country' => 'NL', 'EmailAddress' => 'factuur@voorbeeld.nl', 'AccountNumber' => 'NL91ABNA0417164300', 'AccountBIC' => 'ABNANL2A', 'InvoiceAuthorisation' => 'yes', 'MandateID' => 'HF-DB0001', 'MandateDate' => '2021-01-04']],
        ['Zoë Çelik-Ødegård', ['Initials' => 'Zoë', 'SurName' => 'Çelik-Ødegård', 'Address' => 'Dorpsstraat 7', 'ZipCode' => '3511 AB', 'City' => 'Utrecht', 'Country' => 'NL', 'EmailAddress' => 'zoe@example.nl']],
        ['Brussels Web SRL', ['CompanyName' => 'Brussels Web SRL', 'TaxNumber' => 'BE0123456749', 'Initials' => 'Luc', 'SurName' => 'Peeters', 'Address' => 'Rue Neuve 10', 'ZipCode' => '1000', 'City' => 'Bruxelles', 'Country' => 'BE', 'EmailAddress' => 'billing@brusselsweb.be']],
        ['Bakkerij De Gouden Korst', ['CompanyName' => 'Bakkerij De Gouden Korst', 'CompanyNumber' => '23456789', 'LegalForm' => 'VOF', 'TaxNumber' => 'NL859301233B01', 'Initials' => 'Henk', 'SurName' => 'Bakker', 'Address' => 'Markt 3', 'ZipCode' => '5611 EB', 'City' => 'Eindhoven', 'Country' => 'NL', 'EmailAddress' => 'info@goudenkorst.nl', 'AccountNumber' => 'NL20INGB0001234567', 'AccountBIC' => 'INGBNL2A', 'InvoiceAuthorisation' => 'yes', 'MandateID' => 'HF-DB0004', 'MandateDate' => '2022-03-01']],
        ['Studio Pixelwerk', ['CompanyName' => 'Studio Pixelwerk', 'CompanyNumber' => '34567890', 'LegalForm' => 'EZ', 'TaxNumber' => 'NL001234567B02', 'Initials' => 'Fleur', 'SurName' => 'Jansen', 'Address' => 'Oudegracht 120', 'ZipCode' => '3511 AZ', 'City' => 'Utrecht', 'Country' => 'NL', 'EmailAddress' => 'fleur@pixelwerk.nl']],
        ['Marieke van den Berg', ['Initials' => 'Marieke', 'SurName' => 'van den Berg', 'Address' => 'Lindelaan 42', 'ZipCode' => '2012 AB', 'City' => 'Haarlem', 'Country' => 'NL', 'EmailAddress' => 'marieke@example.nl', 'AccountNumber' => 'NL69INGB0123456789', 'AccountBIC' => 'INGBNL2A', 'InvoiceAuthorisation' => 'yes', 'MandateID' => 'HF-DB0006', 'MandateDate' => '2023-06-15']],
        ['Thomas Müller', ['Initials' => 'Thomas', 'SurName' => 'Müller', 'Address' => 'Hauptstraße 5', 'ZipCode' => '50667', 'City' => 'Köln', 'Country' => 'DE', 'EmailAddress' => 'thomas.mueller@example.de']],
        ['Nordlicht Medien GmbH', ['CompanyName' => 'Nordlicht Medien GmbH', 'TaxNumber' => 'DE123456789', 'Initials' => 'Katrin', 'SurName' => 'Schulz', 'Address' => 'Speicherstadt 8', 'ZipCode' => '20457', 'City' => 'Hamburg', 'Country' => 'DE', 'EmailAddress' => 'rechnung@nordlicht-medien.de']],
        ['Café Le Petit Zinc SARL', ['CompanyName' => 'Café Le Petit Zinc SARL', 'TaxNumber' => 'FR40303265045', 'Initials' => 'Amélie', 'SurName' => 'Dubois', 'Address' => '12 Rue de la Paix', 'ZipCode' => '75002', 'City' => 'Paris', 'Country' => 'FR', 'EmailAddress' => 'compta@petitzinc.fr']],
        ['Huisartsenpraktijk Zuid', ['CompanyName' => 'Huisartsenpraktijk Zuid', 'CompanyNumber' => '45678901', 'LegalForm' => 'MAATSCHAP', 'TaxNumber' => 'NL002345678B01', 'Initials' => 'Pieter', 'SurName' => 'Visser', 'Address' => 'Zuidplein 20', 'ZipCode' => '3083 CW', 'City' => 'Rotterdam', 'Country' => 'NL', 'EmailAddress' => 'praktijk@hapzuid.nl', 'AccountNumber' => 'NL02RABO0123456789', 'AccountBIC' => 'RABONL2U', 'InvoiceAuthorisation' => 'yes', 'MandateID' => 'HF-DB0010', 'MandateDate' => '2024-01-02']],
        ['Ana García', ['Initials' => 'Ana', 'SurName' => 'García', 'Address' => 'Calle Mayor 9', 'ZipCode' => '28013', 'City' => 'Madrid', 'Country' => 'ES', 'EmailAddress' => 'ana.garcia@example.es']],
        ['Kees de Boer', ['Initials' => 'Kees', 'SurName' => 'de Boer', 'Address' => 'Havenstraat 2', 'ZipCode' => '1781 AA', 'City' => 'Den Helder', 'Country' => 'NL', 'EmailAddress' => 'kees@example.nl']],
    ];

    /** line templates: product code, description, number, price excl., VAT %, discount % */
    private const LINES = [
        'hosting' => ['P0001', 'Webhosting Pro – 12 maanden', '12', '12.50', 21, 0],
        'domain' => ['P0002', 'Domeinnaam .nl – 1 jaar', '1', '8.95', 21, 0],
        'domains' => ['P0002', 'Domeinnamen .nl – 1 jaar', '3', '8.95', 21, 10],
        'ebook' => ['P0003', 'E-book hosting handleiding', '2', '19.99', 9, 0],
        'work' => ['', 'Installatiewerk (uren)', '1.5', '75', 21, 0],
    ];

    /** which lines invoice n (0-based) gets: a rotating mix over both groups and both rates */
    private const MIXES = [['hosting'], ['domain'], ['hosting', 'domain'], ['ebook'], ['hosting', 'ebook'], ['domains', 'work'], ['hosting', 'domain', 'ebook']];

    /** the invoices (by 1-based number) collected in the direct-debit batch, and the one credited */
    public const BATCH_INVOICES = [1, 4, 6, 10];
    public const CREDITED_INVOICE = 5;

    public function __construct(private readonly HostFact $hf, private readonly Bridge $bridge, private readonly string $today)
    {
    }

    /** @return array<string, mixed> what was created (codes and ids) */
    public function build(int $invoices = 50): array
    {
        if ($invoices < 10) {
            throw new InvalidArgumentException('the demo company needs at least 10 invoices');
        }
        $version = $this->saveSettings();
        $this->products();
        $debtors = [];
        foreach (self::DEBTORS as [$name, $fields]) {
            $debtors[] = $this->hf->api('debtor', 'add', $fields)['debtor'];
        }
        $sent = [];
        for ($n = 0; $n < $invoices; $n++) {
            $sent[] = $this->invoice($n, $debtors, $invoices);
        }
        $credit = $this->hf->api('invoice', 'credit', ['Identifier' => $sent[self::CREDITED_INVOICE - 1]['Identifier']])['invoice'];
        $batchDate = $this->day(-2);
        $batchIds = array_map(static fn (int $n): string => (string) $sent[$n - 1]['Identifier'], self::BATCH_INVOICES);
        $batch = $this->hf->sdd->createBatch($batchDate, $batchIds);
        $this->hf->sdd->setStatus($batch, 'downloadable');
        $this->hf->sdd->setStatus($batch, 'downloaded');
        $purchases = $this->purchases();
        return [
            'settings_version' => $version,
            'debtors' => array_map(static fn (array $d): string => (string) $d['DebtorCode'], $debtors),
            'invoices' => array_map(static fn (array $i): string => (string) $i['InvoiceCode'], $sent),
            'credit_invoice' => $credit['InvoiceCode'],
            'credited_invoice' => $sent[self::CREDITED_INVOICE - 1]['InvoiceCode'],
            'sdd_batch' => $batch,
            'sdd_invoices' => array_map(static fn (int $n): string => (string) $sent[$n - 1]['InvoiceCode'], self::BATCH_INVOICES),
            'purchase_invoices' => $purchases,
        ];
    }

    /** Saves the export settings as an operator does on the settings page; returns the version. */
    private function saveSettings(): string
    {
        $session = ['csrf' => 'demo'];
        $post = [
            'csrf' => 'demo',
            'enabled' => array_fill_keys(['debtors', 'creditors', 'invoices', 'purchase_invoices', 'sdd_batches', 'payments'], 'on'),
            'debtor_code_mask' => '1###',
            'creditor_code_mask' => '2###',
            'journals' => ['sales' => '70', 'purchase' => '60', 'memorial' => '90'],
            'revenue_gl' => ['default' => '8000'],
            'revenue_gl_groups' => "Hosting = 8010\nDomeinnamen = 8020",
            'purchase_gl' => ['default' => '4000'],
            'purchase_gl_groups' => 'Datacenter = 4010',
            'vat_codes' => "21 = 2, 6, 2, 7\n9 = 1, 6, 1, 7\n0 = 0, 6, 0, 7",
            'purchase_vat_codes' => "21 = 3\n9 = 4\n0 = 0",
            'sdd' => ['intermediate_gl' => '1105', 'journal' => '90', 'payment_condition' => 'IN'],
        ];
        [$status, , $body] = (new SettingsPage($this->bridge))->handle('POST', $post, $session);
        if ($status !== 303) {
            throw new \RuntimeException("the settings page refused the demo settings (HTTP $status): " . strip_tags($body));
        }
        return (string) $this->bridge->settings->version();
    }

    private function products(): void
    {
        $hf = $this->hf;
        $hosting = $hf->api('group', 'add', ['GroupName' => 'Hosting', 'Type' => 'product'])['group'];
        $domains = $hf->api('group', 'add', ['GroupName' => 'Domeinnamen', 'Type' => 'product'])['group'];
        $hf->api('group', 'add', ['GroupName' => 'Datacenter', 'Type' => 'creditor']);
        $hf->api('product', 'add', ['ProductCode' => 'P0001', 'ProductName' => 'Webhosting Pro', 'PriceExcl' => '12.50', 'TaxPercentage' => 21]);
        $hf->api('product', 'add', ['ProductCode' => 'P0002', 'ProductName' => 'Domeinnaam .nl', 'PriceExcl' => '8.95', 'TaxPercentage' => 21]);
        $hf->api('product', 'add', ['ProductCode' => 'P0003', 'ProductName' => 'E-book hosting handleiding', 'PriceExcl' => '19.99', 'TaxPercentage' => 9]);
        $hf->groupProduct($hosting['Identifier'], 'P0001');
        $hf->groupProduct($hosting['Identifier'], 'P0003');
        $hf->groupProduct($domains['Identifier'], 'P0002');
    }

    /**
     * Invoice n: dated over the last two months (oldest first), sent (final code, invoice_is_sent).
     *
     * @param list<array<string, mixed>> $debtors
     * @return array<string, mixed> the sent invoice
     */
    private function invoice(int $n, array $debtors, int $total): array
    {
        $number = $n + 1;
        $batch = in_array($number, self::BATCH_INVOICES, true);
        // batch invoices go to the four mandate debtors; the rest rotate over all twelve
        $mandated = array_values(array_filter($debtors, static fn (array $d): bool => $d['InvoiceAuthorisation'] === 'yes'));
        $debtor = $batch ? $mandated[array_search($number, self::BATCH_INVOICES, true) % count($mandated)] : $debtors[$n % count($debtors)];
        $reverseCharge = $debtor['Country'] !== 'NL' && $debtor['TaxNumber'] !== '';
        $lines = [];
        foreach (self::MIXES[$n % count(self::MIXES)] as $key) {
            [$product, $description, $count, $price, $rate, $discount] = self::LINES[$key];
            $lines[] = [
                'ProductCode' => $product, 'Description' => $description, 'Number' => $count, 'PriceExcl' => $price,
                'TaxPercentage' => $reverseCharge ? 0 : $rate, 'DiscountPercentage' => $discount,
            ];
        }
        $date = $this->day(-60 + intdiv($n * 48, max(1, $total - 1)));
        $params = ['Debtor' => $debtor['Identifier'], 'Date' => $date, 'Term' => 14, 'InvoiceLines' => $lines,
            'Description' => sprintf('Factuur %s', $debtor['CompanyName'] !== '' ? $debtor['CompanyName'] : $debtor['Initials'] . ' ' . $debtor['SurName'])];
        if (!$batch) {
            $params['Authorisation'] = 'no';
        }
        $id = (string) $this->hf->api('invoice', 'add', $params)['invoice']['Identifier'];
        return $this->hf->api('invoice', 'sendbyemail', ['Identifier' => $id])['invoice'];
    }

    /** @return list<string> purchase invoice codes */
    private function purchases(): array
    {
        $hf = $this->hf;
        $datacenter = $hf->api('creditor', 'add', [
            'CompanyName' => 'Datacenter Noord B.V.', 'TaxNumber' => 'NL987654321B01', 'Initials' => 'Piet',
            'SurName' => 'Jansen', 'Address' => 'Industrieweg 12', 'ZipCode' => '9700 AB', 'City' => 'Groningen',
            'Country' => 'NL', 'EmailAddress' => 'facturen@dcnoord.nl', 'Groups' => [['id' => 3, 'GroupName' => 'Datacenter']],
        ])['creditor'];
        $registrar = $hf->api('creditor', 'add', [
            'CompanyName' => 'Registrar Benelux B.V.', 'TaxNumber' => 'NL812345678B01', 'Initials' => 'Sanne',
            'SurName' => 'Smit', 'Address' => 'Stationsplein 4', 'ZipCode' => '6811 KL', 'City' => 'Arnhem',
            'Country' => 'NL', 'EmailAddress' => 'billing@registrar-benelux.nl',
        ])['creditor'];
        $codes = [];
        $codes[] = $hf->api('creditinvoice', 'add', [
            'Creditor' => $datacenter['Identifier'], 'InvoiceCode' => 'DCN-2026-0113', 'Date' => $this->day(-20), 'Term' => '30',
            'InvoiceLines' => [
                ['Number' => '1', 'Description' => 'Colocatie 1 rack, maandhuur', 'PriceExcl' => '850.00', 'TaxPercentage' => 21],
                ['Number' => '420', 'Description' => 'Stroomverbruik (kWh)', 'PriceExcl' => '0.31', 'TaxPercentage' => 21],
            ],
        ])['creditinvoice']['CreditInvoiceCode'];
        $codes[] = $hf->api('creditinvoice', 'add', [
            'Creditor' => $registrar['Identifier'], 'InvoiceCode' => 'RB-88412', 'Date' => $this->day(-12), 'Term' => '14',
            'InvoiceLines' => [['Number' => '35', 'Description' => 'Verlenging domeinnamen .nl', 'PriceExcl' => '3.60', 'TaxPercentage' => 21]],
        ])['creditinvoice']['CreditInvoiceCode'];
        return $codes;
    }

    /**
     * Everything the demo prints about HostFact's side afterwards.
     *
     * @return array<string, mixed>
     */
    public static function report(HostFact $hf): array
    {
        $pick = static fn (array $o, array $keys): array => array_intersect_key($o, array_flip($keys));
        $name = static fn (array $o): string => trim((string) ($o['CompanyName'] ?? '')) !== ''
            ? (string) $o['CompanyName'] : trim(($o['Initials'] ?? '') . ' ' . ($o['SurName'] ?? ''));
        $all = static fn (string $controller): array => $hf->documents->list($controller, ['limit' => 1000]);
        $batchOf = [];
        foreach ($hf->db->all("SELECT id, SDDBatchID FROM HostFact_Invoice WHERE SDDBatchID <> ''") as $row) {
            $batchOf[(string) $row['id']] = (string) $row['SDDBatchID'];
        }
        return [
            'debtors' => array_map(static fn (array $d): array => $pick($d, ['Identifier', 'DebtorCode', 'Country', 'TaxNumber', 'InvoiceAuthorisation', 'Status']) + ['Name' => $name($d)], $all('debtor')),
            'creditors' => array_map(static fn (array $c): array => $pick($c, ['Identifier', 'CreditorCode', 'Country', 'Status']) + ['Name' => $name($c)], $all('creditor')),
            'invoices' => array_map(static fn (array $i): array => $pick($i, ['Identifier', 'InvoiceCode', 'DebtorCode', 'Date', 'Status', 'AmountIncl', 'AmountPaid', 'PayDate', 'Authorisation'])
                + ['SDDBatchID' => $batchOf[(string) $i['Identifier']] ?? ''], $all('invoice')),
            'purchase_invoices' => array_map(static fn (array $i): array => $pick($i, ['Identifier', 'CreditInvoiceCode', 'InvoiceCode', 'CreditorCode', 'Date', 'Status', 'AmountIncl', 'AmountPaid', 'PayDate']), $all('creditinvoice')),
            'sdd_batches' => $hf->db->all('SELECT BatchID, Date, Status, Count, Amount FROM HostFact_SDD_Batches ORDER BY id'),
            'outbox' => $hf->db->all('SELECT event_type, status, COUNT(*) AS n FROM hfexact_outbox GROUP BY event_type, status ORDER BY event_type, status'),
            'results' => $hf->db->all('SELECT type, status, COUNT(*) AS n FROM hfexact_results GROUP BY type, status ORDER BY type, status'),
        ];
    }

    private function day(int $offset): string
    {
        return date('Y-m-d', (int) strtotime("{$this->today} {$offset} days"));
    }
}
