<?php

declare(strict_types=1);

namespace HostFactStandIn;

/**
 * Realistic sample data for tests and the demo: a Dutch B.V. with a VAT number, a consumer, an EU
 * business (reverse charge), a unicode name; products in groups; a creditor in a group.
 */
final class SampleData
{
    /** @return array<string, string> name -> Identifier (or code) */
    public static function seed(HostFact $hf): array
    {
        $ids = [];
        $hosting = $hf->api('group', 'add', ['GroupName' => 'Hosting', 'Type' => 'product'])['group'];
        $domains = $hf->api('group', 'add', ['GroupName' => 'Domeinnamen', 'Type' => 'product'])['group'];
        $hf->api('group', 'add', ['GroupName' => 'Datacenter', 'Type' => 'creditor']);
        $hf->api('product', 'add', ['ProductCode' => 'P0001', 'ProductName' => 'Webhosting Pro', 'PriceExcl' => '12.50', 'TaxPercentage' => 21]);
        $hf->api('product', 'add', ['ProductCode' => 'P0002', 'ProductName' => 'Domeinnaam .nl', 'PriceExcl' => '8.95', 'TaxPercentage' => 21]);
        $hf->api('product', 'add', ['ProductCode' => 'P0003', 'ProductName' => 'E-book hosting handleiding', 'PriceExcl' => '19.99', 'TaxPercentage' => 9]);
        $hf->groupProduct($hosting['Identifier'], 'P0001');
        $hf->groupProduct($hosting['Identifier'], 'P0003');
        $hf->groupProduct($domains['Identifier'], 'P0002');

        $ids['bv'] = $hf->api('debtor', 'add', [
            'CompanyName' => 'Voorbeeld Hosting B.V.', 'CompanyNumber' => '12345678', 'LegalForm' => 'BV',
            'TaxNumber' => 'NL123456789B01', 'Initials' => 'Jan', 'SurName' => 'de Vries', 'Address' => 'Keizersgracht 1',
            'ZipCode' => '1015 CJ', 'City' => 'Amsterdam', 'Country' => 'NL', 'EmailAddress' => 'factuur@voorbeeld.nl',
            'AccountNumber' => 'NL91ABNA0417164300', 'AccountBIC' => 'ABNANL2A', 'InvoiceAuthorisation' => 'yes',
            'MandateID' => 'HF-DB0001', 'MandateDate' => '2021-01-04',
        ])['debtor']['Identifier'];
        $ids['consumer'] = $hf->api('debtor', 'add', [
            'Initials' => 'Zoë', 'SurName' => 'Çelik-Ødegård', 'Address' => 'Dorpsstraat 7', 'ZipCode' => '3511 AB',
            'City' => 'Utrecht', 'Country' => 'NL', 'EmailAddress' => 'zoe@example.nl',
        ])['debtor']['Identifier'];
        $ids['eu'] = $hf->api('debtor', 'add', [
            'CompanyName' => 'Brussels Web SRL', 'TaxNumber' => 'BE0123456749', 'Initials' => 'Luc', 'SurName' => 'Peeters',
            'Address' => 'Rue Neuve 10', 'ZipCode' => '1000', 'City' => 'Bruxelles', 'Country' => 'BE',
            'EmailAddress' => 'billing@brusselsweb.be',
        ])['debtor']['Identifier'];
        $ids['creditor'] = $hf->api('creditor', 'add', [
            'CompanyName' => 'Datacenter Noord B.V.', 'TaxNumber' => 'NL987654321B01', 'Initials' => 'Piet',
            'SurName' => 'Jansen', 'Address' => 'Industrieweg 12', 'ZipCode' => '9700 AB', 'City' => 'Groningen',
            'Country' => 'NL', 'EmailAddress' => 'facturen@dcnoord.nl', 'Groups' => [['id' => 3, 'GroupName' => 'Datacenter']],
        ])['creditor']['Identifier'];
        return $ids;
    }

    /**
     * A concept invoice with the usual lines (hosting 21 %, domain 21 % with 10 % discount, e-book 9 %).
     *
     * @return string the invoice Identifier
     */
    public static function conceptInvoice(HostFact $hf, string $debtorId, int $lines = 3): string
    {
        $all = [
            ['ProductCode' => 'P0001', 'Description' => 'Webhosting Pro – 12 maanden', 'Number' => '12', 'PriceExcl' => '12.50', 'TaxPercentage' => 21],
            ['ProductCode' => 'P0002', 'Description' => 'Domeinnaam voorbeeld.nl', 'Number' => '1', 'PriceExcl' => '8.95', 'TaxPercentage' => 21, 'DiscountPercentage' => 10],
            ['ProductCode' => 'P0003', 'Description' => 'E-book', 'Number' => '2', 'PriceExcl' => '19.9900', 'TaxPercentage' => 9],
            ['ProductCode' => '', 'Description' => 'Installatiewerk (uren)', 'Number' => '1.5', 'PriceExcl' => '75', 'TaxPercentage' => 21],
        ];
        $answer = $hf->api('invoice', 'add', ['Debtor' => $debtorId, 'InvoiceLines' => array_slice($all, 0, $lines)]);
        return (string) $answer['invoice']['Identifier'];
    }
}
