<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Unit;

use DateTimeImmutable;
use HostFactExact\Event\EventFactory;
use HostFactExact\Support\Uuid;
use HostFactExact\Tests\Support\Fixtures;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

final class EventFactoryTest extends TestCase
{
    private function factory(): EventFactory
    {
        return new EventFactory('hf-test', static fn () => new DateTimeImmutable('2026-11-28T15:04:05+01:00'));
    }

    /** The envelope carries a v4 id, type, version 1, an ISO 8601 time with offset and the source. */
    public function testEnvelopeFields(): void
    {
        $event = $this->factory()->debtorUpserted(Fixtures::debtor());
        self::assertTrue(Uuid::isValid($event['id']));
        self::assertSame('debtor.upserted', $event['type']);
        self::assertSame(1, $event['version']);
        self::assertSame('2026-11-28T15:04:05+01:00', $event['occurred_at']);
        self::assertSame(['system' => 'hostfact', 'installation' => 'hf-test'], $event['source']);
        self::assertSame('{}', json_encode($event['related']));
    }

    /** Every number becomes a decimal string: amounts with two decimals, the rest as given. */
    public function testNumbersBecomeDecimalStrings(): void
    {
        $event = $this->factory()->invoiceIssued(Fixtures::invoice(), Fixtures::debtor(), ['P0001' => ['Hosting']]);
        $data = $event['data'];
        self::assertSame('9300', $data['Identifier']);
        self::assertSame('2688.62', $data['AmountIncl']);
        $line = $data['InvoiceLines'][0];
        self::assertSame('318661', $line['Identifier']);
        self::assertSame('2222', $line['PriceExcl']);
        self::assertSame('21', $line['TaxPercentage']);
        self::assertSame('0', $line['DiscountPercentage']);
        self::assertSame('2222.00', $line['NoDiscountAmountExcl']);
        self::assertSame('2688.62', $line['NoDiscountAmountIncl']);
        self::assertSame('0.00', $line['DiscountAmountExcl']);
        self::assertSame('2222.00', $data['UsedTaxrates']['0.21']['AmountExcl']);
        self::assertSame('', $data['PayDate'], 'empty dates stay empty strings');
        $decoded = json_decode(EventFactory::toJson($event), true);
        unset($decoded['version']);
        array_walk_recursive($decoded, static function (mixed $value, int|string $key): void {
            self::assertFalse(is_int($value) || is_float($value), sprintf('%s is a JSON number', $key));
        });
    }

    /** The shape of `data` is HostFact's own: same keys in the same nesting. */
    public function testShapeIsUnchanged(): void
    {
        $invoice = Fixtures::invoice();
        $event = $this->factory()->invoiceIssued($invoice, Fixtures::debtor(), []);
        self::assertSame(array_keys($invoice), array_keys($event['data']));
        self::assertSame(array_keys($invoice['InvoiceLines'][0]), array_keys($event['data']['InvoiceLines'][0]));
        self::assertSame('{}', json_encode($event['related']['product_groups']));
    }

    /** A credit invoice brings the invoice it credits in related.credits. */
    public function testCreditInvoiceCarriesCreditedInvoice(): void
    {
        $credit = Fixtures::invoice(['Identifier' => '9301', 'InvoiceCode' => 'F0013', 'Status' => '8', 'AmountIncl' => -2688.62]);
        $event = $this->factory()->invoiceIssued($credit, Fixtures::debtor(), [], Fixtures::invoice());
        self::assertSame('-2688.62', $event['data']['AmountIncl']);
        self::assertSame('9300', $event['related']['credits']['Identifier']);
        self::assertSame('DB100', $event['related']['debtor']['DebtorCode']);
    }

    /** A purchase invoice brings its creditor. */
    public function testPurchaseInvoiceCarriesCreditor(): void
    {
        $event = $this->factory()->purchaseInvoiceReceived(Fixtures::creditInvoice(), Fixtures::creditor());
        self::assertSame('CD0001', $event['related']['creditor']['CreditorCode']);
        self::assertSame('purchase_invoice.received', $event['type']);
    }

    /** An unknown type or a non-UUID id is refused. */
    public function testRejectsUnknownType(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->factory()->envelope('invoice.deleted', []);
    }

    public function testRejectsBadId(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->factory()->debtorUpserted(Fixtures::debtor(), 'not-a-uuid');
    }
}
