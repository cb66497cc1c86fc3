<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Support;

/**
 * HostFact objects as internalAPI(..., 'show', ...) returns them, with HostFact's mix of strings and
 * numbers (shape from a real invoice/show capture, see shared/reference/hostfact.md 2.7).
 */
final class Fixtures
{
    /** @param array<string, mixed> $override */
    public static function debtor(array $override = []): array
    {
        return array_replace([
            'Identifier' => '1',
            'DebtorCode' => 'DB100',
            'Status' => '1',
            'CompanyName' => 'Voorbeeld Hosting B.V.',
            'CompanyNumber' => '12345678',
            'LegalForm' => 'BV',
            'TaxNumber' => 'NL123456789B01',
            'Sex' => 'm',
            'Initials' => 'Jan',
            'SurName' => 'de Vries',
            'Address' => 'Keizersgracht 1',
            'Address2' => '',
            'ZipCode' => '1015 CJ',
            'City' => 'Amsterdam',
            'State' => '',
            'Country' => 'NL',
            'EmailAddress' => 'factuur@voorbeeld.nl',
            'PhoneNumber' => '020-1234567',
            'MobileNumber' => '',
            'InvoiceMethod' => '0',
            'InvoiceTerm' => -1,
            'Taxable' => 'auto',
            'AccountNumber' => 'NL91ABNA0417164300',
            'AccountBIC' => 'ABNANL2A',
            'AccountName' => 'Voorbeeld Hosting B.V.',
            'InvoiceAuthorisation' => 'no',
            'Groups' => [],
            'Created' => '2021-01-04 10:00:00',
            'Modified' => '2021-06-18 14:46:53',
        ], $override);
    }

    /** @param array<string, mixed> $override */
    public static function invoice(array $override = []): array
    {
        return array_replace([
            'Identifier' => '9300',
            'InvoiceCode' => 'F0012',
            'Debtor' => '1',
            'DebtorCode' => 'DB100',
            'Status' => '2',
            'SubStatus' => '',
            'Date' => '2021-06-18',
            'Term' => '14',
            'PayBefore' => '2021-07-02',
            'AmountExcl' => '2222.00',
            'AmountTax' => '466.62',
            'AmountIncl' => '2688.62',
            'AmountPaid' => '0.00',
            'Discount' => '0',
            'VatCalcMethod' => 'excl',
            'CompanyName' => 'Voorbeeld Hosting B.V.',
            'TaxNumber' => 'NL123456789B01',
            'Initials' => 'Jan',
            'SurName' => 'de Vries',
            'Address' => 'Keizersgracht 1',
            'ZipCode' => '1015 CJ',
            'City' => 'Amsterdam',
            'Country' => 'NL',
            'EmailAddress' => 'factuur@voorbeeld.nl',
            'Authorisation' => 'no',
            'PaymentMethod' => '',
            'PayDate' => '',
            'TransactionID' => '',
            'Sent' => '1',
            'SentDate' => '2021-06-18 14:47:00',
            'Description' => '',
            'InvoiceLines' => [[
                'Identifier' => 318661,
                'Date' => '2021-06-18',
                'Number' => '1',
                'NumberSuffix' => '',
                'ProductCode' => 'P0001',
                'Description' => 'Webhosting Pro – 12 maanden',
                'PriceExcl' => '2222',
                'DiscountPercentage' => 0,
                'DiscountPercentageType' => 'line',
                'TaxPercentage' => 21,
                'PeriodicID' => '0',
                'Periods' => '1',
                'Periodic' => '',
                'ProductType' => '',
                'Reference' => '0',
                'NoDiscountAmountExcl' => 2222,
                'NoDiscountAmountIncl' => 2688.62,
                'DiscountAmountExcl' => 0,
                'DiscountAmountIncl' => 0,
            ]],
            'Created' => '2021-06-18 14:46:53',
            'Modified' => '2021-06-18 14:46:53',
            'UsedTaxrates' => ['0.21' => ['AmountExcl' => 2222, 'AmountTax' => 466.62, 'AmountIncl' => 2688.62]],
        ], $override);
    }

    /** @param array<string, mixed> $override */
    public static function creditor(array $override = []): array
    {
        return array_replace([
            'Identifier' => '3',
            'CreditorCode' => 'CD0001',
            'MyCustomerCode' => 'K-99812',
            'CompanyName' => 'Datacenter Noord B.V.',
            'CompanyNumber' => '87654321',
            'TaxNumber' => 'NL987654321B01',
            'Sex' => 'm',
            'Initials' => 'Piet',
            'SurName' => 'Jansen',
            'Address' => 'Industrieweg 12',
            'ZipCode' => '9700 AB',
            'City' => 'Groningen',
            'Country' => 'NL',
            'EmailAddress' => 'facturen@dcnoord.nl',
            'PhoneNumber' => '050-7654321',
            'Authorisation' => 'no',
            'AccountNumber' => 'NL02RABO0123456789',
            'AccountBIC' => 'RABONL2U',
            'Term' => 30,
            'Groups' => [['id' => 7, 'GroupName' => 'Datacenter']],
            'Created' => '2021-01-04 10:00:00',
            'Modified' => '2021-06-18 14:46:53',
        ], $override);
    }

    /** @param array<string, mixed> $override */
    public static function creditInvoice(array $override = []): array
    {
        return array_replace([
            'Identifier' => '44',
            'CreditInvoiceCode' => 'CF0044',
            'InvoiceCode' => 'DCN-2021-0612',
            'Creditor' => '3',
            'CreditorCode' => 'CD0001',
            'Status' => '1',
            'Date' => '2021-06-15',
            'Term' => '30',
            'AmountExcl' => '750.00',
            'AmountTax' => '157.50',
            'AmountIncl' => '907.50',
            'AmountPaid' => '0.00',
            'Authorisation' => 'no',
            'Private' => '0.00',
            'PrivatePercentage' => '0',
            'ReferenceNumber' => '',
            'PayDate' => '',
            'InvoiceLines' => [[
                'Identifier' => 901,
                'Number' => 1,
                'Description' => 'Rackhuur juni',
                'PriceExcl' => 750,
                'TaxPercentage' => 21,
            ]],
            'Created' => '2021-06-16 09:00:00',
            'Modified' => '2021-06-16 09:00:00',
        ], $override);
    }
}
