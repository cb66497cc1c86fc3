<?php

declare(strict_types=1);

namespace HostFactStandIn;

use HostFactExact\Db\Database;

/**
 * The stand-in's HostFact tables. Columns the bridge reads with SQL carry HostFact's names
 * (HostFact_SDD_Batches, HostFact_SDD_BatchElements, HostFact_ExportHistory, HostFact_Invoice.SDDBatchID,
 * HostFact_Debtors.DebtorCode); the rest of each API object is kept as JSON in `Data`.
 */
final class Schema
{
    public const DOCUMENT_TABLES = [
        'debtor' => 'HostFact_Debtors',
        'invoice' => 'HostFact_Invoice',
        'creditor' => 'HostFact_Creditors',
        'creditinvoice' => 'HostFact_CreditInvoice',
        'product' => 'HostFact_Products',
        'group' => 'HostFact_Group',
    ];

    public static function create(Database $db): void
    {
        $key = $db->autoIncrementKey();
        $opt = $db->tableOptions();
        foreach (self::DOCUMENT_TABLES as $table) {
            $db->pdo->exec("CREATE TABLE IF NOT EXISTS $table (
                id $key,
                Code VARCHAR(64) NOT NULL DEFAULT '',
                Status VARCHAR(8) NOT NULL DEFAULT '0',
                Created VARCHAR(19) NOT NULL,
                Modified VARCHAR(19) NOT NULL,
                Data TEXT NOT NULL
            )$opt");
        }
        // Columns HostFact has on these tables and the bridge reads directly.
        self::addColumn($db, 'HostFact_Debtors', 'DebtorCode', "VARCHAR(64) NOT NULL DEFAULT ''");
        self::addColumn($db, 'HostFact_Invoice', 'InvoiceCode', "VARCHAR(64) NOT NULL DEFAULT ''");
        self::addColumn($db, 'HostFact_Invoice', 'Debtor', 'INTEGER NOT NULL DEFAULT 0');
        self::addColumn($db, 'HostFact_Invoice', 'AmountIncl', "DECIMAL(12,2) NOT NULL DEFAULT 0");
        self::addColumn($db, 'HostFact_Invoice', 'AmountPaid', "DECIMAL(12,2) NOT NULL DEFAULT 0");
        self::addColumn($db, 'HostFact_Invoice', 'SDDBatchID', "VARCHAR(32) NOT NULL DEFAULT ''");
        $db->pdo->exec("CREATE TABLE IF NOT EXISTS HostFact_SDD_Batches (
            id $key,
            BatchID VARCHAR(32) NOT NULL,
            Date VARCHAR(10) NOT NULL,
            Status VARCHAR(16) NOT NULL,
            Count INTEGER NOT NULL DEFAULT 0,
            Amount DECIMAL(12,2) NOT NULL DEFAULT 0,
            DownloadDate VARCHAR(19) NULL,
            SDD_ID VARCHAR(64) NOT NULL DEFAULT '',
            SDD_IBAN VARCHAR(34) NOT NULL DEFAULT '',
            SDD_BIC VARCHAR(11) NOT NULL DEFAULT ''
        )$opt");
        $db->pdo->exec("CREATE TABLE IF NOT EXISTS HostFact_SDD_BatchElements (
            id $key,
            BatchID VARCHAR(32) NOT NULL,
            Debtor INTEGER NOT NULL,
            InvoiceID INTEGER NOT NULL,
            Status VARCHAR(16) NOT NULL DEFAULT 'draft',
            Reason VARCHAR(255) NOT NULL DEFAULT '',
            MandateType VARCHAR(8) NOT NULL DEFAULT 'RCUR'
        )$opt");
        $db->pdo->exec("CREATE TABLE IF NOT EXISTS HostFact_ExportHistory (
            id $key,
            Package VARCHAR(32) NOT NULL,
            Type VARCHAR(32) NOT NULL,
            ReferenceID INTEGER NOT NULL,
            PackageReference VARCHAR(191) NOT NULL DEFAULT '',
            Status VARCHAR(16) NOT NULL,
            Message TEXT NULL,
            ExportedAt VARCHAR(19) NOT NULL,
            LastOpenAmount DECIMAL(12,2) NULL
        )$opt");
    }

    private static function addColumn(Database $db, string $table, string $column, string $type): void
    {
        $exists = $db->isSqlite()
            ? $db->one("SELECT 1 FROM pragma_table_info('$table') WHERE name = ?", [$column])
            : $db->one('SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?', [$table, $column]);
        if ($exists === null) {
            $db->pdo->exec("ALTER TABLE $table ADD COLUMN $column $type");
        }
    }
}
