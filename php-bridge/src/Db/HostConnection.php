<?php

declare(strict_types=1);

namespace HostFactExact\Db;

use PDO;
use Throwable;

/**
 * HostFact's own database connection of the current request, for the hooks' outbox INSERT.
 *
 * Writing through it makes the outbox transactional: a hook that fires inside HostFact's open
 * transaction adds its row to that transaction (it commits or rolls back with HostFact's change,
 * and costs no commit or log flush of its own), and a request opens no second connection.
 *
 * Where the connection comes from, first match wins:
 *  1. a provider registered with provide() (another HostFact version, a custom integration);
 *  2. `Database_Model::getInstance()`: HostFact 6's request-wide PDO (the class extends PDO; it is
 *     connected by HostFact's bootstrap before any hook fires) [reported: public decoded copy of
 *     HostFact 6's Pro/class/database.php; verify on the live installation];
 *  3. none: the caller falls back to the bridge's own connection (HFEXACT_DB_DSN).
 * Anything that is not a PDO, or a provider that throws, counts as "none".
 */
final class HostConnection
{
    /** @var (\Closure(): mixed)|null */
    private static ?\Closure $provider = null;

    /** @param (callable(): (PDO|null))|null $provider null restores the default lookup */
    public static function provide(?callable $provider): void
    {
        self::$provider = $provider === null ? null : \Closure::fromCallable($provider);
    }

    public static function find(): ?PDO
    {
        try {
            if (self::$provider !== null) {
                $pdo = (self::$provider)();
            } elseif (class_exists('Database_Model', false) && is_callable(['Database_Model', 'getInstance'])) {
                $pdo = \call_user_func(['Database_Model', 'getInstance']);
            } else {
                return null;
            }
        } catch (Throwable) {
            return null;
        }
        return $pdo instanceof PDO ? $pdo : null;
    }
}
