<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Db\Database;
use HostFactExact\Db\HostConnection;
use HostFactExact\Hook\HookRuntime;
use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\TestEnv;
use HostFactExact\Tests\Support\WorldTestCase;
use HostFactStandIn\SampleData;
use PDO;
use PhpAmqpLib\Message\AMQPMessage;

/**
 * The hooks write their outbox row through HostFact's own connection (Database_Model::getInstance()),
 * so a hook fired inside HostFact's uncommitted transaction commits or rolls back with HostFact's
 * change, and a request opens no connection of its own.
 */
final class TransactionalOutboxTest extends WorldTestCase
{
    protected function tearDown(): void
    {
        HostConnection::provide(null);
        parent::tearDown();
    }

    /** A second connection, as the relay (another process) sees the database. */
    private static function relayView(TestEnv $world): Database
    {
        return Database::connect($world->dsn, $world->config->dbUser, $world->config->dbPassword);
    }

    private static function rows(Database $db, string $type, string $entityId): int
    {
        return (int) $db->run('SELECT COUNT(*) FROM hfexact_outbox WHERE event_type = ? AND entity_id = ?', [$type, $entityId])->fetchColumn();
    }

    /** @dataProvider drivers */
    public function testRollbackLeavesNoRowCommitLeavesExactlyOne(string $driver): void
    {
        $world = $this->world($driver);
        $hf = $world->hostfact;
        $ids = SampleData::seed($hf);
        $host = \Database_Model::getInstance();
        self::assertSame($world->db->pdo, $host, 'the stand-in exposes its connection as HostFact does');
        $relay = self::relayView($world);
        $before = self::rows($relay, 'debtor.upserted', $ids['bv']);
        self::assertSame(1, $before, 'debtor_is_created');

        // HostFact opens a transaction, saves the debtor (debtor_is_edited fires inside it), then rolls back
        $host->beginTransaction();
        self::assertSame('success', $hf->api('debtor', 'edit', ['Identifier' => $ids['bv'], 'City' => 'Zwolle'])['status']);
        self::assertSame(2, self::rows($world->db, 'debtor.upserted', $ids['bv']), 'inside the transaction the row is there');
        self::assertSame(1, self::rows($relay, 'debtor.upserted', $ids['bv']), 'and invisible to the relay until the commit');
        $host->rollBack();
        self::assertSame(1, self::rows($relay, 'debtor.upserted', $ids['bv']), 'rolled back: no outbox row');
        self::assertSame('Amsterdam', $hf->api('debtor', 'show', ['Identifier' => $ids['bv']])['debtor']['City'], 'nor the change');

        // the same, committed: exactly one row
        $host->beginTransaction();
        $hf->api('debtor', 'edit', ['Identifier' => $ids['bv'], 'City' => 'Zwolle']);
        $host->commit();
        self::assertSame(2, self::rows($relay, 'debtor.upserted', $ids['bv']), 'committed: exactly one new row');
        self::assertSame('Zwolle', $hf->api('debtor', 'show', ['Identifier' => $ids['bv']])['debtor']['City']);

        // and the relay publishes the committed change once, nothing of the rolled-back one
        $world->db->run("UPDATE hfexact_outbox SET status = 'sent' WHERE id < (SELECT MAX(id) FROM hfexact_outbox)");
        $stats = $world->bridge->relay()->runOnce(false);
        self::assertSame(1, $stats['published']);
        $published = Broker::drain($world->config->prefix . '.exact');
        self::assertSame(['debtor.upserted'], array_map(static fn (AMQPMessage $m): string => (string) $m->get('type'), $published));
        self::assertSame('Zwolle', json_decode($published[0]->getBody(), true)['data']['City']);
    }

    /**
     * HostFact's bank matching marks invoices paid inside a transaction: invoice_is_paid's row goes
     * with it. A nested transaction (HostFact counts levels) only reaches the server at the outside.
     */
    public function testPaymentInsideHostFactsTransactionFollowsItsOutcome(): void
    {
        $world = $this->world('mysql');
        $hf = $world->hostfact;
        $ids = SampleData::seed($hf);
        $invoice = SampleData::conceptInvoice($hf, $ids['bv']);
        $hf->api('invoice', 'sendbyemail', ['Identifier' => $invoice]);
        $relay = self::relayView($world);
        $host = \Database_Model::getInstance();

        $host->beginTransaction();
        $host->beginTransaction(); // e.g. an API call's own transaction inside the matching run
        $hf->api('invoice', 'markaspaid', ['Identifier' => $invoice, 'PayDate' => '2026-02-03']);
        $host->commit(); // inner: nothing committed yet
        self::assertSame(0, self::rows($relay, 'invoice.changed', $invoice));
        $host->rollBack();
        self::assertSame(0, self::rows($relay, 'invoice.changed', $invoice), 'rolled back: no invoice.changed');
        self::assertSame('2', (string) $hf->api('invoice', 'show', ['Identifier' => $invoice])['invoice']['Status']);

        $host->beginTransaction();
        $hf->api('invoice', 'markaspaid', ['Identifier' => $invoice, 'PayDate' => '2026-02-03']);
        $host->commit();
        self::assertSame(1, self::rows($relay, 'invoice.changed', $invoice), 'committed: exactly one');
    }

    /** No connection is opened by the hooks: the database's sessions stay HostFact's and the test's own. */
    public function testHooksOpenNoConnection(): void
    {
        $world = $this->world('mysql');
        $name = (string) $world->db->run('SELECT DATABASE()')->fetchColumn();
        $sessions = static fn (): int => (int) $world->db->run('SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ?', [$name])->fetchColumn();
        HookRuntime::reset($world->config); // a fresh request
        self::assertSame(1, $sessions());
        $ids = SampleData::seed($world->hostfact);
        for ($i = 0; $i < 20; $i++) {
            $world->hostfact->api('debtor', 'edit', ['Identifier' => $ids['consumer'], 'City' => 'Utrecht ' . $i]);
        }
        self::assertSame(1, $sessions(), 'only HostFact\'s own connection');
        self::assertSame(23, (int) $world->db->run('SELECT COUNT(*) FROM hfexact_outbox')->fetchColumn());
    }

    /** HostFact's connection is used as it is: fetch mode, statement class and error mode stay HostFact's. */
    public function testHostFactsConnectionIsLeftAsItWas(): void
    {
        $world = $this->world('mysql');
        $host = \Database_Model::getInstance();
        $ids = SampleData::seed($world->hostfact);
        \hfexact_hook('debtor_is_edited', ['id' => $ids['eu'], 'DebtorCode' => 'DB0003']);
        self::assertSame(PDO::FETCH_OBJ, $host->getAttribute(PDO::ATTR_DEFAULT_FETCH_MODE));
        self::assertSame([\Database_Model_Statement::class, []], $host->getAttribute(PDO::ATTR_STATEMENT_CLASS));
        self::assertSame(PDO::ERRMODE_EXCEPTION, $host->getAttribute(PDO::ATTR_ERRMODE));
        self::assertFalse($host->inTransaction());
    }

    /**
     * The fallback when HostFact's connection is not used (HFEXACT_HOOK_CONNECTION=own, or none found):
     * the bridge's own connection, which commits on its own, so a rolled-back change is still recorded
     * (the relay then publishes the record as it is in HostFact).
     */
    public function testOwnConnectionFallbackIsNotTransactional(): void
    {
        $world = $this->world('mysql', ['HFEXACT_HOOK_CONNECTION' => 'own']);
        $ids = SampleData::seed($world->hostfact);
        $relay = self::relayView($world);
        $host = \Database_Model::getInstance();
        $host->beginTransaction();
        $world->hostfact->api('debtor', 'edit', ['Identifier' => $ids['bv'], 'City' => 'Zwolle']);
        self::assertSame(2, self::rows($relay, 'debtor.upserted', $ids['bv']), 'committed at once, outside HostFact\'s transaction');
        $host->rollBack();
        self::assertSame(2, self::rows($relay, 'debtor.upserted', $ids['bv']));

        // a provider that finds nothing falls back the same way
        HostConnection::provide(static fn (): ?PDO => null);
        HookRuntime::reset(\HostFactExact\Config::fromEnv(['HFEXACT_DB_DSN' => $world->dsn, 'HFEXACT_DB_USER' => $world->config->dbUser]));
        $host->beginTransaction();
        $world->hostfact->api('debtor', 'edit', ['Identifier' => $ids['bv'], 'City' => 'Zwolle']);
        $host->rollBack();
        self::assertSame(3, self::rows($relay, 'debtor.upserted', $ids['bv']));
    }
}
