<?php

declare(strict_types=1);

namespace HostFactStandIn;

use HostFactExact\Db\Database;
use HostFactExact\Support\Decimal;
use InvalidArgumentException;

/**
 * A HostFact stand-in for tests and the demo: hooks and internalAPI() with HostFact-shaped answers
 * for debtor, invoice, creditor, creditinvoice, product and group, on MariaDB or SQLite.
 *
 * Write calls on invoices and purchase invoices take a global lock (as HostFact's API does) and
 * fail with "too many concurrent calls" after waiting 5 s.
 */
final class HostFact
{
    private static ?self $instance = null;

    public readonly Hooks $hooks;
    public readonly Clock $clock;
    public readonly Documents $documents;
    public readonly Invoices $invoices;
    public readonly Sdd $sdd;
    /** @var list<array{controller: string, action: string, params: array<mixed>}> */
    public array $calls = [];

    public function __construct(public readonly Database $db, private readonly string $lockFile)
    {
        $this->hooks = new Hooks();
        $this->clock = new Clock();
        $this->documents = new Documents($db, $this->clock);
        $this->invoices = new Invoices($this);
        $this->sdd = new Sdd($this);
    }

    public static function boot(Database $db, ?string $lockFile = null): self
    {
        Schema::create($db);
        self::$instance = new self($db, $lockFile ?? sys_get_temp_dir() . '/hostfact-standin-' . md5(spl_object_hash($db)) . '.lock');
        return self::$instance;
    }

    public static function instance(): self
    {
        if (self::$instance === null) {
            throw new \LogicException('HostFact stand-in not booted');
        }
        return self::$instance;
    }

    public static function reset(): void
    {
        self::$instance = null;
    }

    /**
     * @param array<mixed> $params
     * @return array<string, mixed>
     */
    public function api(string $controller, string $action, array $params = []): array
    {
        $this->calls[] = ['controller' => $controller, 'action' => $action, 'params' => $params];
        try {
            $write = in_array($controller, ['invoice', 'creditinvoice'], true) && !in_array($action, ['show', 'list'], true);
            return $write ? $this->locked(fn () => $this->dispatch($controller, $action, $params), $controller, $action)
                : $this->dispatch($controller, $action, $params);
        } catch (InvalidArgumentException $e) {
            return Answer::error($controller, $action, [$e->getMessage()]);
        }
    }

    /** @param array<mixed> $params */
    private function dispatch(string $controller, string $action, array $params): array
    {
        return match ($controller) {
            'invoice' => $this->invoices->sales($action, $params),
            'creditinvoice' => $this->invoices->purchase($action, $params),
            'debtor', 'creditor', 'product', 'group' => $this->party($controller, $action, $params),
            default => Answer::error($controller, $action, ['Invalid controller/action']),
        };
    }

    /** @param array<mixed> $params */
    private function party(string $controller, string $action, array $params): array
    {
        $docs = $this->documents;
        switch ($action) {
            case 'show':
                $object = $this->findOrFail($controller, $params);
                return Answer::object($controller, 'show', $controller, $object);
            case 'list':
                $items = $docs->list($controller, $params);
                if ($controller === 'group' && isset($params['type'])) {
                    $items = array_values(array_filter($items, static fn (array $g): bool => $g['Type'] === $params['type']));
                }
                return Answer::list($controller, $controller . 's', $items, $params);
            case 'add':
                $object = $this->newParty($controller, $params);
                $code = (string) ($object[self::codeKey($controller)] ?? '');
                $columns = $controller === 'debtor' ? ['DebtorCode' => $code] : [];
                $object = $docs->insert($controller, $object, $code, (string) ($object['Status'] ?? '1'), $columns);
                if ($controller === 'debtor') {
                    $this->hooks->doAction('debtor_is_created', ['id' => $object['Identifier'], 'DebtorCode' => $object['DebtorCode']]);
                }
                return Answer::object($controller, 'add', $controller, $object);
            case 'edit':
                $object = $this->findOrFail($controller, $params);
                foreach ($params as $key => $value) {
                    if (!in_array($key, ['Identifier', self::codeKey($controller), 'Created', 'Modified'], true)) {
                        $object[$key] = $value;
                    }
                }
                $object = $docs->save($controller, $object);
                if ($controller === 'debtor') {
                    $this->hooks->doAction('debtor_is_edited', ['id' => $object['Identifier'], 'DebtorCode' => $object['DebtorCode']]);
                }
                return Answer::object($controller, 'edit', $controller, $object);
            case 'delete':
                $object = $this->findOrFail($controller, $params);
                $object['Status'] = '9';
                $object = $docs->save($controller, $object);
                if ($controller === 'debtor') {
                    $this->hooks->doAction('debtor_is_archived', ['id' => $object['Identifier'], 'DebtorCode' => $object['DebtorCode']]);
                }
                return Answer::object($controller, 'delete', $controller, $object);
        }
        return Answer::error($controller, $action, ['Invalid controller/action']);
    }

    /**
     * @param array<mixed> $params
     * @return array<string, mixed>
     */
    public function findOrFail(string $controller, array $params): array
    {
        $identifier = (string) ($params['Identifier'] ?? '');
        $code = (string) ($params[self::codeKey($controller)] ?? '');
        $object = $this->documents->find($controller, $identifier, $code);
        if ($object === null) {
            throw new InvalidArgumentException(sprintf('%s not found', ucfirst($controller)));
        }
        return $object;
    }

    /**
     * @param array<mixed> $params
     * @return array<string, mixed>
     */
    private function newParty(string $controller, array $params): array
    {
        $docs = $this->documents;
        return match ($controller) {
            'debtor' => array_replace([
                'DebtorCode' => $docs->nextNumber('debtor', 'DB', 4), 'Status' => '1', 'CompanyName' => '', 'CompanyNumber' => '',
                'LegalForm' => '', 'TaxNumber' => '', 'Sex' => 'm', 'Initials' => '', 'SurName' => '', 'Address' => '',
                'Address2' => '', 'ZipCode' => '', 'City' => '', 'State' => '', 'Country' => 'NL', 'EmailAddress' => '',
                'PhoneNumber' => '', 'MobileNumber' => '', 'InvoiceMethod' => '0', 'InvoiceTerm' => -1, 'Taxable' => 'auto',
                'AccountNumber' => '', 'AccountBIC' => '', 'AccountName' => '', 'InvoiceAuthorisation' => 'no',
                'MandateID' => '', 'MandateDate' => '', 'Groups' => [],
            ], $params),
            'creditor' => array_replace([
                'CreditorCode' => $docs->nextNumber('creditor', 'CD', 4), 'Status' => '1', 'MyCustomerCode' => '', 'CompanyName' => '',
                'CompanyNumber' => '', 'TaxNumber' => '', 'Sex' => 'm', 'Initials' => '', 'SurName' => '', 'Address' => '',
                'ZipCode' => '', 'City' => '', 'Country' => 'NL', 'EmailAddress' => '', 'Authorisation' => 'no',
                'AccountNumber' => '', 'AccountBIC' => '', 'Term' => 30, 'Groups' => [],
            ], $params),
            'product' => array_replace([
                'ProductCode' => $docs->nextNumber('product', 'P', 4), 'ProductName' => '', 'ProductKeyPhrase' => '',
                'PriceExcl' => '0', 'TaxPercentage' => 21, 'PricePeriod' => '', 'ProductType' => '', 'Groups' => [],
            ], $params),
            'group' => array_replace(['GroupName' => '', 'Type' => 'product', 'Items' => []], $params),
        };
    }

    public static function codeKey(string $controller): string
    {
        return match ($controller) {
            'debtor' => 'DebtorCode',
            'invoice' => 'InvoiceCode',
            'creditor' => 'CreditorCode',
            'creditinvoice' => 'CreditInvoiceCode',
            'product' => 'ProductCode',
            'group' => 'GroupName',
            default => 'Code',
        };
    }

    /** Puts a product in a product group (both sides, as HostFact's group/show Items and product/show Groups). */
    public function groupProduct(string $groupId, string $productCode): void
    {
        $group = $this->findOrFail('group', ['Identifier' => $groupId]);
        $product = $this->findOrFail('product', ['ProductCode' => $productCode]);
        $group['Items'][] = ['id' => (int) $product['Identifier'], 'ProductCode' => $productCode];
        $product['Groups'][] = ['id' => (int) $group['Identifier'], 'GroupName' => $group['GroupName']];
        $this->documents->save('group', $group);
        $this->documents->save('product', $product);
    }

    /** Runs HostFact's cron (/Pro/cronjob.php): fires cronjob_task. */
    public function runCron(): void
    {
        $this->hooks->doAction('cronjob_task', []);
    }

    public static function money(Decimal $value): string
    {
        return $value->round(2)->toString();
    }

    /**
     * @template T
     * @param callable(): T $work
     * @return T|array<string, mixed>
     */
    private function locked(callable $work, string $controller, string $action): mixed
    {
        $handle = fopen($this->lockFile, 'c');
        if ($handle === false) {
            return $work();
        }
        try {
            $deadline = microtime(true) + 5.0;
            while (!flock($handle, LOCK_EX | LOCK_NB)) {
                if (microtime(true) > $deadline) {
                    return Answer::error($controller, $action, ['There are too many concurrent calls, please try again later']);
                }
                usleep(20_000);
            }
            return $work();
        } finally {
            flock($handle, LOCK_UN);
            fclose($handle);
        }
    }
}
