<?php

declare(strict_types=1);

namespace HostFactStandIn;

use HostFactExact\Support\Decimal;
use InvalidArgumentException;

/**
 * Sales invoices (invoice) and purchase invoices (creditinvoice) with HostFact's status codes,
 * amounts, write actions and the hooks they fire.
 */
final class Invoices
{
    private const SALES_PAYABLE = ['2', '3'];

    public function __construct(private readonly HostFact $hf)
    {
    }

    /** @param array<mixed> $params */
    public function sales(string $action, array $params): array
    {
        $hf = $this->hf;
        switch ($action) {
            case 'show':
                return Answer::object('invoice', 'show', 'invoice', $hf->findOrFail('invoice', $params));
            case 'list':
                $items = array_map(static fn (array $i): array => [
                    'Identifier' => $i['Identifier'], 'InvoiceCode' => $i['InvoiceCode'], 'Debtor' => $i['Debtor'],
                    'DebtorCode' => $i['DebtorCode'], 'CompanyName' => $i['CompanyName'], 'Initials' => $i['Initials'],
                    'SurName' => $i['SurName'], 'AmountExcl' => $i['AmountExcl'], 'AmountIncl' => $i['AmountIncl'],
                    'AmountOpen' => self::open($i), 'Date' => $i['Date'], 'Status' => $i['Status'], 'SubStatus' => $i['SubStatus'],
                    'Authorisation' => $i['Authorisation'], 'Modified' => $i['Modified'],
                ], $hf->documents->list('invoice', $params));
                return Answer::list('invoice', 'invoices', $items, $params);
            case 'add':
                return Answer::object('invoice', 'add', 'invoice', $this->addSales($params));
            case 'edit':
                $invoice = $hf->findOrFail('invoice', $params);
                if (isset($params['InvoiceLines'])) {
                    $invoice['InvoiceLines'] = $this->lines((array) $params['InvoiceLines'], $invoice['Date']);
                }
                foreach (['Description', 'Comment', 'Term', 'Date', 'Authorisation', 'PaymentMethod'] as $key) {
                    if (isset($params[$key])) {
                        $invoice[$key] = (string) $params[$key];
                    }
                }
                $invoice = $this->saveSales($this->totals($invoice));
                $hf->hooks->doAction('invoice_is_edited', self::hookParams($invoice));
                return Answer::object('invoice', 'edit', 'invoice', $invoice);
            case 'sendbyemail':
                return Answer::object('invoice', 'sendbyemail', 'invoice', $this->send($hf->findOrFail('invoice', $params)));
            case 'markaspaid':
                $invoice = $hf->findOrFail('invoice', $params);
                if (!in_array($invoice['Status'], self::SALES_PAYABLE, true)) {
                    throw new InvalidArgumentException($invoice['Status'] === '4' ? 'Invoice is already paid' : 'Invoice cannot be marked as paid in its current status');
                }
                return Answer::object('invoice', 'markaspaid', 'invoice', $this->paid($invoice, (string) ($params['PayDate'] ?? '')));
            case 'partpayment':
                $invoice = $hf->findOrFail('invoice', $params);
                if (!in_array($invoice['Status'], self::SALES_PAYABLE, true)) {
                    throw new InvalidArgumentException('Invoice cannot receive a part payment in its current status');
                }
                $now = Decimal::of((string) ($params['AmountPaid'] ?? '0'));
                if ($now->isZero() || $now->isNegative()) {
                    throw new InvalidArgumentException('AmountPaid must be a positive amount');
                }
                $total = Decimal::of($invoice['AmountPaid'])->add($now);
                if ($total->compare(Decimal::of($invoice['AmountIncl'])) >= 0) {
                    return Answer::object('invoice', 'partpayment', 'invoice', $this->paid($invoice, (string) ($params['PayDate'] ?? '')));
                }
                $invoice['AmountPaid'] = HostFact::money($total);
                $invoice['Status'] = '3';
                $invoice = $this->saveSales($invoice);
                $hf->hooks->doAction('invoice_is_partly_paid', self::hookParams($invoice) + [
                    'AmountPaidNow' => HostFact::money($now), 'AmountPaidTotal' => $invoice['AmountPaid'], 'AmountOpen' => self::open($invoice),
                ]);
                return Answer::object('invoice', 'partpayment', 'invoice', $invoice);
            case 'markasunpaid':
                $invoice = $hf->findOrFail('invoice', $params);
                if (!in_array($invoice['Status'], ['3', '4'], true)) {
                    throw new InvalidArgumentException('Invoice is not paid');
                }
                $invoice['Status'] = '2';
                $invoice['AmountPaid'] = '0.00';
                $invoice['PayDate'] = '';
                $invoice = $this->saveSales($invoice);
                $hf->hooks->doAction('invoice_is_unpaid', self::hookParams($invoice));
                return Answer::object('invoice', 'markasunpaid', 'invoice', $invoice);
            case 'credit':
                return Answer::object('invoice', 'credit', 'invoice', $this->credit($hf->findOrFail('invoice', $params)));
            case 'delete':
                $invoice = $hf->findOrFail('invoice', $params);
                if ($invoice['Status'] !== '0') {
                    throw new InvalidArgumentException('Only concept invoices can be deleted');
                }
                $hf->db->run('DELETE FROM HostFact_Invoice WHERE id = ?', [(int) $invoice['Identifier']]);
                return Answer::object('invoice', 'delete', 'invoice', $invoice);
        }
        return Answer::error('invoice', $action, ['Invalid controller/action']);
    }

    /** @param array<mixed> $params */
    public function purchase(string $action, array $params): array
    {
        $hf = $this->hf;
        switch ($action) {
            case 'show':
                return Answer::object('creditinvoice', 'show', 'creditinvoice', $hf->findOrFail('creditinvoice', $params));
            case 'list':
                return Answer::list('creditinvoice', 'creditinvoices', $hf->documents->list('creditinvoice', $params), $params);
            case 'add':
                $creditor = $hf->findOrFail('creditor', ['Identifier' => $params['Creditor'] ?? '', 'CreditorCode' => $params['CreditorCode'] ?? '']);
                $date = (string) ($params['Date'] ?? $hf->clock->today());
                $invoice = [
                    'CreditInvoiceCode' => $hf->documents->nextNumber('creditinvoice', 'CF', 4),
                    'InvoiceCode' => (string) ($params['InvoiceCode'] ?? ''),
                    'Creditor' => $creditor['Identifier'], 'CreditorCode' => $creditor['CreditorCode'],
                    'Status' => (string) ($params['Status'] ?? '1'), 'Date' => $date, 'Term' => (string) ($params['Term'] ?? '30'),
                    'AmountExcl' => '0.00', 'AmountTax' => '0.00', 'AmountIncl' => '0.00', 'AmountPaid' => '0.00',
                    'Authorisation' => 'no', 'Private' => '0.00', 'PrivatePercentage' => '0', 'ReferenceNumber' => '', 'PayDate' => '',
                    'InvoiceLines' => array_map(static fn (array $l, int $n): array => [
                        'Identifier' => 5000 + $n, 'Number' => $l['Number'] ?? '1', 'Description' => (string) ($l['Description'] ?? ''),
                        'PriceExcl' => (string) $l['PriceExcl'], 'TaxPercentage' => $l['TaxPercentage'] ?? 21,
                    ], array_values((array) ($params['InvoiceLines'] ?? [])), array_keys(array_values((array) ($params['InvoiceLines'] ?? [])))),
                    'Attachments' => [],
                ];
                $invoice = $this->totals($invoice);
                $invoice = $hf->documents->insert('creditinvoice', $invoice, $invoice['CreditInvoiceCode'], $invoice['Status']);
                return Answer::object('creditinvoice', 'add', 'creditinvoice', $invoice);
            case 'markaspaid':
            case 'partpayment':
                $invoice = $hf->findOrFail('creditinvoice', $params);
                if (!in_array($invoice['Status'], ['1', '2'], true)) {
                    throw new InvalidArgumentException('Purchase invoice cannot be paid in its current status');
                }
                $paid = $action === 'markaspaid' ? Decimal::of($invoice['AmountIncl'])
                    : Decimal::of($invoice['AmountPaid'])->add(Decimal::of((string) ($params['AmountPaid'] ?? '0')));
                $full = $paid->compare(Decimal::of($invoice['AmountIncl'])) >= 0;
                $invoice['AmountPaid'] = HostFact::money($full ? Decimal::of($invoice['AmountIncl']) : $paid);
                $invoice['Status'] = $full ? '3' : '2';
                $invoice['PayDate'] = $full ? (string) ($params['PayDate'] ?? $hf->clock->today()) : '';
                $invoice = $hf->documents->save('creditinvoice', $invoice);
                return Answer::object('creditinvoice', $action, 'creditinvoice', $invoice);
        }
        return Answer::error('creditinvoice', $action, ['Invalid controller/action']);
    }

    /**
     * @param array<mixed> $params
     * @return array<string, mixed>
     */
    private function addSales(array $params): array
    {
        $hf = $this->hf;
        $debtor = $hf->findOrFail('debtor', ['Identifier' => $params['Debtor'] ?? '', 'DebtorCode' => $params['DebtorCode'] ?? '']);
        $date = (string) ($params['Date'] ?? $hf->clock->today());
        $term = (int) ($params['Term'] ?? 14);
        $invoice = [
            'InvoiceCode' => $hf->documents->nextNumber('invoice', '[concept]', 4),
            'Debtor' => $debtor['Identifier'], 'DebtorCode' => $debtor['DebtorCode'], 'Status' => '0', 'SubStatus' => '',
            'Date' => $date, 'Term' => (string) $term, 'PayBefore' => date('Y-m-d', (int) strtotime("$date +$term days")),
            'AmountExcl' => '0.00', 'AmountTax' => '0.00', 'AmountIncl' => '0.00', 'AmountPaid' => '0.00', 'Discount' => '0',
            'VatCalcMethod' => 'excl', 'ReferenceNumber' => (string) ($params['ReferenceNumber'] ?? ''),
            'CompanyName' => $debtor['CompanyName'], 'TaxNumber' => $debtor['TaxNumber'], 'Sex' => $debtor['Sex'],
            'Initials' => $debtor['Initials'], 'SurName' => $debtor['SurName'], 'Address' => $debtor['Address'],
            'ZipCode' => $debtor['ZipCode'], 'City' => $debtor['City'], 'Country' => $debtor['Country'],
            'EmailAddress' => $debtor['EmailAddress'], 'InvoiceMethod' => '0', 'Template' => '1', 'SentDate' => '', 'Sent' => '0',
            'Reminders' => '0', 'Summations' => '0',
            'Authorisation' => (string) ($params['Authorisation'] ?? $debtor['InvoiceAuthorisation']),
            'PaymentMethod' => (string) ($params['PaymentMethod'] ?? ''), 'PayDate' => '', 'TransactionID' => '',
            'Description' => (string) ($params['Description'] ?? ''), 'Comment' => '',
            'InvoiceLines' => $this->lines((array) ($params['InvoiceLines'] ?? []), $date),
        ];
        $invoice = $this->totals($invoice);
        $invoice = $hf->documents->insert('invoice', $invoice, $invoice['InvoiceCode'], '0', self::columns($invoice));
        $hf->hooks->doAction('invoice_is_created', self::hookParams($invoice));
        return $invoice;
    }

    /**
     * @param array<mixed> $lines
     * @return list<array<string, mixed>>
     */
    private function lines(array $lines, string $date): array
    {
        static $next = 318000;
        $out = [];
        foreach (array_values($lines) as $line) {
            $line = (array) $line;
            $number = Decimal::of((string) ($line['Number'] ?? '1'));
            if ($number->isNegative() || $number->isZero()) {
                throw new InvalidArgumentException('Number must be positive');
            }
            $out[] = [
                'Identifier' => ++$next, 'Date' => $date, 'Number' => (string) ($line['Number'] ?? '1'),
                'NumberSuffix' => (string) ($line['NumberSuffix'] ?? ''), 'ProductCode' => (string) ($line['ProductCode'] ?? ''),
                'Description' => (string) ($line['Description'] ?? ''), 'PriceExcl' => (string) ($line['PriceExcl'] ?? '0'),
                // HostFact's mix: percentages as numbers, ids as numbers or strings
                'DiscountPercentage' => (int) ($line['DiscountPercentage'] ?? 0) == ($line['DiscountPercentage'] ?? 0) ? (int) ($line['DiscountPercentage'] ?? 0) : (float) $line['DiscountPercentage'],
                'DiscountPercentageType' => 'line',
                'TaxPercentage' => (int) ($line['TaxPercentage'] ?? 21) == ($line['TaxPercentage'] ?? 21) ? (int) ($line['TaxPercentage'] ?? 21) : (float) $line['TaxPercentage'],
                'PeriodicID' => '0', 'Periods' => '1', 'Periodic' => '', 'ProductType' => '', 'Reference' => '0',
            ];
        }
        return $out;
    }

    /**
     * Recomputes line and invoice amounts (line net = price x number x (1 - discount%), VAT per line).
     *
     * @param array<string, mixed> $invoice
     * @return array<string, mixed>
     */
    private function totals(array $invoice, bool $negate = false): array
    {
        $excl = Decimal::of('0');
        $tax = Decimal::of('0');
        $rates = [];
        foreach ($invoice['InvoiceLines'] as $i => $line) {
            $gross = Decimal::of((string) $line['PriceExcl'])->mul(Decimal::of((string) $line['Number']));
            $discount = Decimal::of((string) ($line['DiscountPercentage'] ?? 0))->shift(-2);
            $net = $gross->sub($gross->mul($discount))->round(2);
            $vatRate = Decimal::of((string) $line['TaxPercentage'])->shift(-2);
            $lineTax = $net->mul($vatRate)->round(2);
            $excl = $excl->add($net);
            $tax = $tax->add($lineTax);
            $key = $vatRate->trimmed()->toString();
            $key = str_contains($key, '.') ? $key : $key . '.00';
            $rates[$key] ??= ['AmountExcl' => Decimal::of('0'), 'AmountTax' => Decimal::of('0')];
            $rates[$key]['AmountExcl'] = $rates[$key]['AmountExcl']->add($net);
            $rates[$key]['AmountTax'] = $rates[$key]['AmountTax']->add($lineTax);
            if (array_key_exists('NoDiscountAmountExcl', $line) || isset($invoice['Debtor'])) {
                // sales lines carry computed amounts as JSON numbers, as HostFact's API does
                $invoice['InvoiceLines'][$i]['NoDiscountAmountExcl'] = (float) $gross->round(2)->toString();
                $invoice['InvoiceLines'][$i]['NoDiscountAmountIncl'] = (float) $gross->add($gross->mul($vatRate))->round(2)->toString();
                $invoice['InvoiceLines'][$i]['DiscountAmountExcl'] = (float) $gross->sub($net)->round(2)->toString();
                $invoice['InvoiceLines'][$i]['DiscountAmountIncl'] = (float) $gross->sub($net)->mul(Decimal::of('1')->add($vatRate))->round(2)->toString();
            }
        }
        $invoice['AmountExcl'] = HostFact::money($excl);
        $invoice['AmountTax'] = HostFact::money($tax);
        $invoice['AmountIncl'] = HostFact::money($excl->add($tax));
        if (isset($invoice['Debtor'])) {
            $invoice['UsedTaxrates'] = [];
            foreach ($rates as $key => $sum) {
                $invoice['UsedTaxrates'][$key] = [
                    'AmountExcl' => (float) HostFact::money($sum['AmountExcl']),
                    'AmountTax' => (float) HostFact::money($sum['AmountTax']),
                    'AmountIncl' => (float) HostFact::money($sum['AmountExcl']->add($sum['AmountTax'])),
                ];
            }
        }
        return $invoice;
    }

    /**
     * First send gives a concept its final code (F + year + number) before invoice_is_sent fires.
     *
     * @param array<string, mixed> $invoice
     * @return array<string, mixed>
     */
    private function send(array $invoice): array
    {
        $hf = $this->hf;
        if (in_array($invoice['Status'], ['8', '9'], true)) {
            throw new InvalidArgumentException('Invoice cannot be sent in its current status');
        }
        if ($invoice['Status'] === '0' || $invoice['Status'] === '1') {
            $invoice['InvoiceCode'] = $hf->documents->nextNumber('invoice', 'F' . substr($invoice['Date'], 0, 4), 4);
            $invoice['Status'] = '2';
            $hf->hooks->doAction('before_send_invoice', self::hookParams($invoice));
        }
        $invoice['Sent'] = (string) ((int) $invoice['Sent'] + 1);
        $invoice['SentDate'] = $hf->clock->now();
        $invoice = $this->saveSales($invoice);
        $hf->hooks->doAction('invoice_is_sent', self::hookParams($invoice) + [
            'viaMail' => true, 'viaPost' => false, 'Sent' => $invoice['Sent'], 'Reminders' => $invoice['Reminders'],
            'Summations' => $invoice['Summations'],
        ]);
        return $invoice;
    }

    /**
     * @param array<string, mixed> $invoice
     * @return array<string, mixed>
     */
    private function paid(array $invoice, string $payDate): array
    {
        $invoice['Status'] = '4';
        $invoice['AmountPaid'] = $invoice['AmountIncl'];
        $invoice['PayDate'] = $payDate !== '' ? $payDate : $this->hf->clock->today();
        $invoice = $this->saveSales($invoice);
        $this->hf->hooks->doAction('invoice_is_paid', self::hookParams($invoice));
        return $invoice;
    }

    /**
     * invoice/credit: the original becomes 9 (cancelled), a new status-8 invoice with negative amounts.
     *
     * @param array<string, mixed> $original
     * @return array<string, mixed> the credit invoice
     */
    private function credit(array $original): array
    {
        $hf = $this->hf;
        if (!in_array($original['Status'], ['2', '3', '4'], true)) {
            throw new InvalidArgumentException('Only sent invoices can be credited');
        }
        $credit = $original;
        unset($credit['Identifier'], $credit['Created'], $credit['Modified']);
        $credit['InvoiceCode'] = $hf->documents->nextNumber('invoice', 'F' . substr($hf->clock->today(), 0, 4), 4);
        $credit['Status'] = '8';
        $credit['Date'] = $hf->clock->today();
        $credit['AmountPaid'] = '0.00';
        $credit['PayDate'] = '';
        $credit['Sent'] = '0';
        $credit['SentDate'] = '';
        $credit['Description'] = 'Creditfactuur voor ' . $original['InvoiceCode'];
        foreach ($credit['InvoiceLines'] as $i => $line) {
            $credit['InvoiceLines'][$i]['Number'] = Decimal::of((string) $line['Number'])->negate()->toString();
        }
        $credit = $this->totals($credit);
        $credit = $hf->documents->insert('invoice', $credit, $credit['InvoiceCode'], '8', self::columns($credit));
        $original['Status'] = '9';
        $original = $this->saveSales($original);
        $hf->hooks->doAction('invoice_is_credited', self::hookParams($original) + [
            'CreditInvoiceID' => $credit['Identifier'], 'CreditInvoiceCode' => $credit['InvoiceCode'],
        ]);
        return $credit;
    }

    /** @param array<string, mixed> $invoice */
    private function saveSales(array $invoice): array
    {
        return $this->hf->documents->save('invoice', $invoice, self::columns($invoice));
    }

    /**
     * @param array<string, mixed> $invoice
     * @return array<string, scalar>
     */
    private static function columns(array $invoice): array
    {
        return [
            'InvoiceCode' => $invoice['InvoiceCode'], 'Debtor' => (int) $invoice['Debtor'],
            'AmountIncl' => $invoice['AmountIncl'], 'AmountPaid' => $invoice['AmountPaid'],
        ];
    }

    /**
     * @param array<string, mixed> $invoice
     * @return array{id: string, Debtor: string, InvoiceCode: string}
     */
    public static function hookParams(array $invoice): array
    {
        return ['id' => (string) $invoice['Identifier'], 'Debtor' => (string) $invoice['Debtor'], 'InvoiceCode' => (string) $invoice['InvoiceCode']];
    }

    /** @param array<string, mixed> $invoice */
    public static function open(array $invoice): string
    {
        return match ($invoice['Status']) {
            '2' => $invoice['AmountIncl'],
            '3' => HostFact::money(Decimal::of($invoice['AmountIncl'])->sub(Decimal::of($invoice['AmountPaid']))),
            default => '0.00',
        };
    }
}
