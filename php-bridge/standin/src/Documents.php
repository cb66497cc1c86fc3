<?php

declare(strict_types=1);

namespace HostFactStandIn;

use HostFactExact\Db\Database;
use HostFactExact\Support\Json;

/** Stores HostFact API objects (one table per controller, object as JSON plus a few real columns). */
final class Documents
{
    public function __construct(private readonly Database $db, private readonly Clock $clock)
    {
    }

    public function db(): Database
    {
        return $this->db;
    }

    /**
     * @param array<string, mixed> $object
     * @param array<string, scalar> $columns extra real columns
     * @return array<string, mixed> the object with Identifier, Created, Modified
     */
    public function insert(string $controller, array $object, string $code, string $status, array $columns = []): array
    {
        $table = Schema::DOCUMENT_TABLES[$controller];
        $now = $this->clock->now();
        $names = array_merge(['Code', 'Status', 'Created', 'Modified', 'Data'], array_keys($columns));
        $marks = implode(', ', array_fill(0, count($names), '?'));
        $this->db->run(
            "INSERT INTO $table (" . implode(', ', $names) . ") VALUES ($marks)",
            array_merge([$code, $status, $now, $now, '{}'], array_values($columns)),
        );
        $id = (string) $this->db->pdo->lastInsertId();
        $object = ['Identifier' => $id] + $object;
        $object['Created'] = $now;
        $object['Modified'] = $now;
        $this->save($controller, $object, $columns);
        return $object;
    }

    /**
     * @param array<string, mixed> $object must hold Identifier
     * @param array<string, scalar> $columns
     */
    public function save(string $controller, array $object, array $columns = [], bool $touch = true): array
    {
        $table = Schema::DOCUMENT_TABLES[$controller];
        if ($touch) {
            $object['Modified'] = $this->clock->now();
        }
        $set = ['Code = ?', 'Status = ?', 'Modified = ?', 'Data = ?'];
        $values = [self::code($controller, $object), (string) ($object['Status'] ?? '0'), $object['Modified'], Json::encode($object)];
        foreach ($columns as $name => $value) {
            $set[] = "$name = ?";
            $values[] = $value;
        }
        $values[] = (int) $object['Identifier'];
        $this->db->run("UPDATE $table SET " . implode(', ', $set) . ' WHERE id = ?', $values);
        return $object;
    }

    /** @return array<string, mixed>|null */
    public function find(string $controller, string $identifier, string $code = ''): ?array
    {
        $table = Schema::DOCUMENT_TABLES[$controller];
        $row = $identifier !== ''
            ? $this->db->one("SELECT Data FROM $table WHERE id = ?", [(int) $identifier])
            : ($code !== '' ? $this->db->one("SELECT Data FROM $table WHERE Code = ?", [$code]) : null);
        return $row === null ? null : Json::decodeObject((string) $row['Data']);
    }

    /**
     * @param array<string, mixed> $filters HostFact list filters: status, modified[from/to], created[from/to], group
     * @return list<array<string, mixed>>
     */
    public function list(string $controller, array $filters): array
    {
        $table = Schema::DOCUMENT_TABLES[$controller];
        $where = [];
        $params = [];
        if (isset($filters['status']) && $filters['status'] !== '') {
            $statuses = explode('|', (string) $filters['status']);
            $where[] = 'Status IN (' . implode(', ', array_fill(0, count($statuses), '?')) . ')';
            array_push($params, ...$statuses);
        }
        foreach (['modified' => 'Modified', 'created' => 'Created'] as $filter => $column) {
            $range = $filters[$filter] ?? null;
            if (is_array($range) && isset($range['from']) && $range['from'] !== '') {
                $where[] = "$column >= ?";
                $params[] = self::datetime((string) $range['from'], '00:00:00');
            }
            if (is_array($range) && isset($range['to']) && $range['to'] !== '') {
                $where[] = "$column <= ?";
                $params[] = self::datetime((string) $range['to'], '23:59:59');
            }
        }
        $order = strtoupper((string) ($filters['order'] ?? 'ASC')) === 'DESC' ? 'DESC' : 'ASC';
        $sort = ($filters['sort'] ?? '') === 'Modified' ? 'Modified' : 'id';
        $limit = max(1, min(1000, (int) ($filters['limit'] ?? 1000)));
        $offset = max(0, (int) ($filters['offset'] ?? 0));
        $sql = "SELECT Data FROM $table" . ($where === [] ? '' : ' WHERE ' . implode(' AND ', $where))
            . " ORDER BY $sort $order, id $order LIMIT $limit OFFSET $offset";
        return array_map(static fn (array $row): array => Json::decodeObject((string) $row['Data']), $this->db->all($sql, $params));
    }

    public function nextNumber(string $controller, string $prefix, int $width): string
    {
        $table = Schema::DOCUMENT_TABLES[$controller];
        $count = (int) $this->db->run("SELECT COUNT(*) FROM $table WHERE Code LIKE ?", [$prefix . '%'])->fetchColumn();
        return $prefix . str_pad((string) ($count + 1), $width, '0', STR_PAD_LEFT);
    }

    /** @param array<string, mixed> $object */
    private static function code(string $controller, array $object): string
    {
        return (string) match ($controller) {
            'debtor' => $object['DebtorCode'] ?? '',
            'invoice' => $object['InvoiceCode'] ?? '',
            'creditor' => $object['CreditorCode'] ?? '',
            'creditinvoice' => $object['CreditInvoiceCode'] ?? '',
            'product' => $object['ProductCode'] ?? '',
            'group' => $object['GroupName'] ?? '',
        };
    }

    private static function datetime(string $value, string $defaultTime): string
    {
        return strlen($value) === 10 ? $value . ' ' . $defaultTime : $value;
    }
}
