<?php

declare(strict_types=1);

namespace HostFactExact\Event;

use Closure;
use DateTimeImmutable;
use DateTimeInterface;
use HostFactExact\Support\Json;
use HostFactExact\Support\Uuid;
use InvalidArgumentException;
use stdClass;

/**
 * Builds event envelopes (design §4) from HostFact objects as internalAPI(..., 'show', ...) returns them.
 *
 * `data` is the HostFact object unchanged in shape with every number as a decimal string;
 * `related` holds what the bridge adds so the event stands on its own.
 */
final class EventFactory
{
    public const VERSION = 1;

    private readonly NumberNormalizer $numbers;
    /** @var Closure(): DateTimeImmutable */
    private readonly Closure $clock;

    /** @param (callable(): DateTimeImmutable)|null $clock */
    public function __construct(private readonly string $installation, ?callable $clock = null)
    {
        if ($installation === '') {
            throw new InvalidArgumentException('installation must not be empty');
        }
        $this->numbers = new NumberNormalizer();
        $this->clock = $clock !== null ? Closure::fromCallable($clock) : static fn (): DateTimeImmutable => new DateTimeImmutable();
    }

    /** @param array<mixed> $debtor debtor/show object */
    public function debtorUpserted(array $debtor, ?string $id = null, ?DateTimeInterface $at = null): array
    {
        return $this->envelope(EventType::DEBTOR_UPSERTED, $debtor, [], $id, $at);
    }

    /** @param array<mixed> $debtor debtor/show object (Status 9) */
    public function debtorArchived(array $debtor, ?string $id = null, ?DateTimeInterface $at = null): array
    {
        return $this->envelope(EventType::DEBTOR_ARCHIVED, $debtor, [], $id, $at);
    }

    /** @param array<mixed> $creditor creditor/show object */
    public function creditorUpserted(array $creditor, ?string $id = null, ?DateTimeInterface $at = null): array
    {
        return $this->envelope(EventType::CREDITOR_UPSERTED, $creditor, [], $id, $at);
    }

    /**
     * A sales invoice at its first send, or a credit invoice (Status 8) with the invoice it credits.
     *
     * @param array<mixed> $invoice invoice/show object
     * @param array<mixed> $debtor debtor/show object
     * @param array<string, list<string>> $productGroups product code -> group names
     * @param array<mixed>|null $credited invoice/show object of the credited invoice (credit invoices only)
     * @return array<string, mixed>
     */
    public function invoiceIssued(
        array $invoice,
        array $debtor,
        array $productGroups,
        ?array $credited = null,
        ?string $id = null,
        ?DateTimeInterface $at = null,
    ): array {
        return $this->envelope(
            EventType::INVOICE_ISSUED,
            $invoice,
            $this->invoiceRelated($invoice, $debtor, $productGroups, $credited),
            $id,
            $at,
        );
    }

    /**
     * @param array<mixed> $invoice
     * @param array<mixed> $debtor
     * @param array<string, list<string>> $productGroups
     * @param array<mixed>|null $credited
     * @return array<string, mixed>
     */
    public function invoiceChanged(
        array $invoice,
        array $debtor,
        array $productGroups,
        ?array $credited = null,
        ?string $id = null,
        ?DateTimeInterface $at = null,
    ): array {
        return $this->envelope(
            EventType::INVOICE_CHANGED,
            $invoice,
            $this->invoiceRelated($invoice, $debtor, $productGroups, $credited),
            $id,
            $at,
        );
    }

    /**
     * @param array<mixed> $creditInvoice creditinvoice/show object
     * @param array<mixed> $creditor creditor/show object
     * @return array<string, mixed>
     */
    public function purchaseInvoiceReceived(
        array $creditInvoice,
        array $creditor,
        ?string $id = null,
        ?DateTimeInterface $at = null,
    ): array {
        return $this->envelope(
            EventType::PURCHASE_INVOICE_RECEIVED,
            $creditInvoice,
            ['creditor' => $this->numbers->normalize($creditor)],
            $id,
            $at,
        );
    }

    /**
     * @param array<mixed> $batch BatchID, Date, Status, Count, Amount, Elements[] (from HostFact's SDD tables)
     * @return array<string, mixed>
     */
    public function sddBatchDownloaded(array $batch, ?string $id = null, ?DateTimeInterface $at = null): array
    {
        return $this->envelope(EventType::SDD_BATCH_DOWNLOADED, $batch, [], $id, $at);
    }

    /**
     * @param array<mixed> $reversal InvoiceCode, DebtorCode, BatchID, Amount, Reason
     * @return array<string, mixed>
     */
    public function sddReversed(array $reversal, ?string $id = null, ?DateTimeInterface $at = null): array
    {
        return $this->envelope(EventType::SDD_REVERSED, $reversal, [], $id, $at);
    }

    /**
     * @param array<mixed> $settings the settings.changed payload (design §4)
     * @return array<string, mixed>
     */
    public function settingsChanged(array $settings, ?string $id = null, ?DateTimeInterface $at = null): array
    {
        return $this->envelope(EventType::SETTINGS_CHANGED, $settings, [], $id, $at);
    }

    /**
     * The envelope for any event type; the typed methods above are what callers use.
     *
     * @param array<mixed> $data
     * @param array<string, mixed> $related
     * @return array<string, mixed>
     */
    public function envelope(
        string $type,
        array $data,
        array $related = [],
        ?string $id = null,
        ?DateTimeInterface $at = null,
    ): array {
        if (!EventType::isEvent($type)) {
            throw new InvalidArgumentException(sprintf('unknown event type "%s"', $type));
        }
        if ($id !== null && !Uuid::isValid($id)) {
            throw new InvalidArgumentException(sprintf('event id "%s" is not a UUID v4', $id));
        }
        $at ??= ($this->clock)();
        return [
            'id' => $id ?? Uuid::v4(),
            'type' => $type,
            'version' => self::VERSION,
            'occurred_at' => $at->format(DateTimeInterface::ATOM),
            'source' => ['system' => 'hostfact', 'installation' => $this->installation],
            'data' => $this->numbers->normalize($data),
            'related' => $related === [] ? new stdClass() : $related,
        ];
    }

    /** @param array<string, mixed> $envelope */
    public static function toJson(array $envelope): string
    {
        return Json::encode($envelope);
    }

    /**
     * A credit invoice (Status 8) always names what it credits: the invoice, or null when HostFact
     * has no link; other invoices never carry `credits`.
     *
     * @param array<mixed> $invoice
     * @param array<mixed> $debtor
     * @param array<string, list<string>> $productGroups
     * @param array<mixed>|null $credited
     * @return array<string, mixed>
     */
    private function invoiceRelated(array $invoice, array $debtor, array $productGroups, ?array $credited): array
    {
        $groups = [];
        foreach ($productGroups as $code => $names) {
            $groups[(string) $code] = array_values(array_map('strval', $names));
        }
        $related = [
            'debtor' => $this->numbers->normalize($debtor),
            'product_groups' => (object) $groups,
        ];
        if ((string) ($invoice['Status'] ?? '') === '8') {
            $related['credits'] = $credited === null ? null : $this->numbers->normalize($credited);
        }
        return $related;
    }
}
