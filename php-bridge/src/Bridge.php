<?php

declare(strict_types=1);

namespace HostFactExact;

use HostFactExact\Amqp\ConfirmingPublisher;
use HostFactExact\Amqp\Connector;
use HostFactExact\Amqp\Topology;
use HostFactExact\Backfill\Backfill;
use HostFactExact\Db\Database;
use HostFactExact\Db\State;
use HostFactExact\Event\EventFactory;
use HostFactExact\HostFact\HostFactApi;
use HostFactExact\HostFact\HostFactClient;
use HostFactExact\HostFact\InternalApi;
use HostFactExact\Outbox\Outbox;
use HostFactExact\Outbox\Spool;
use HostFactExact\Relay\Enricher;
use HostFactExact\Relay\Pollers;
use HostFactExact\Relay\Relay;
use HostFactExact\Results\ResultHandler;
use HostFactExact\Results\ResultsConsumer;
use HostFactExact\Settings\SettingsRepository;

/** The composition root: builds the bridge's parts from one Config (entry points call this). */
final class Bridge
{
    public readonly Outbox $outbox;
    public readonly State $state;
    public readonly SettingsRepository $settings;
    public readonly HostFactClient $hostfact;
    public readonly EventFactory $events;
    public readonly Topology $topology;

    public function __construct(public readonly Config $config, public readonly Database $db, HostFactApi $api)
    {
        $this->outbox = new Outbox($db);
        $this->state = new State($db);
        $this->settings = new SettingsRepository($db);
        $this->hostfact = new HostFactClient($api);
        $this->events = new EventFactory($config->installation);
        $this->topology = new Topology($config->prefix);
    }

    public static function fromConfig(Config $config, ?HostFactApi $api = null, ?Database $db = null): self
    {
        return new self(
            $config,
            $db ?? Database::connect($config->dbDsn, $config->dbUser, $config->dbPassword),
            $api ?? new InternalApi(),
        );
    }

    public function connector(): Connector
    {
        return new Connector($this->config->amqp);
    }

    public function publisher(): ConfirmingPublisher
    {
        return new ConfirmingPublisher($this->connector(), $this->topology, $this->config->confirmTimeout);
    }

    public function pollers(): Pollers
    {
        return new Pollers($this->hostfact, $this->db, $this->outbox, $this->state);
    }

    public function spool(): Spool
    {
        return new Spool($this->config->spoolDir);
    }

    public function relay(?ConfirmingPublisher $publisher = null, int $batchSize = 100): Relay
    {
        return new Relay(
            $this->outbox,
            new Enricher($this->hostfact, $this->db, $this->events),
            $publisher ?? $this->publisher(),
            $this->settings,
            $this->state,
            $this->pollers(),
            $this->spool(),
            $batchSize,
        );
    }

    public function resultHandler(): ResultHandler
    {
        return new ResultHandler($this->db, $this->hostfact, $this->settings);
    }

    public function resultsConsumer(): ResultsConsumer
    {
        return new ResultsConsumer($this->connector(), $this->topology, $this->resultHandler());
    }

    public function backfill(): Backfill
    {
        return new Backfill($this->hostfact, $this->db, $this->outbox, $this->config->exportPackage);
    }

    /** A lock file per installation (database + prefix), for "one relay / one results consumer at a time". */
    public function lockPath(string $what): string
    {
        return rtrim(sys_get_temp_dir(), '/') . '/hfexact-' . $what . '-' . substr(md5($this->config->dbDsn . '|' . $this->config->prefix), 0, 12) . '.lock';
    }
}
