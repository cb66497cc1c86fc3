<?php

declare(strict_types=1);

namespace HostFactExact\Results;

use HostFactExact\Db\Database;
use HostFactExact\Db\State;
use HostFactExact\Event\EventType;
use HostFactExact\Exception\HostFactError;
use HostFactExact\Exception\InvalidMessage;
use HostFactExact\Exception\RecordGone;
use HostFactExact\Hook\WriteBackGuard;
use HostFactExact\HostFact\HostFactClient;
use HostFactExact\Settings\SettingsRepository;
use HostFactExact\Support\Decimal;
use HostFactExact\Support\Json;
use Throwable;

/**
 * Applies one result message to HostFact, idempotently.
 *
 * Every message is recorded in hfexact_results under its message id; a redelivery of a recorded
 * id changes nothing. The write-back itself also checks HostFact's state first (already paid,
 * already partly paid by this amount, already open), so even a crash between HostFact's answer and
 * our record cannot pay an invoice twice. Invoices paid online or by a direct-debit batch are
 * already paid in HostFact and are left alone.
 *
 * Outcomes: applied (HostFact changed), unchanged (HostFact already in that state), kept (not
 * applied, with the reason: unknown invoice, concept, payments switched off, ...), stored
 * (export.* and settings.validated, for the settings page), duplicate (seen before).
 * A TransientWriteBack exception means "not now" (HostFact's API lock): the message is requeued.
 */
final class ResultHandler
{
    public function __construct(
        private readonly Database $db,
        private readonly HostFactClient $hostfact,
        private readonly SettingsRepository $settings,
    ) {
    }

    /** @return array{outcome: string, reason: string} */
    public function handle(string $messageId, string $body): array
    {
        if ($this->seen($messageId)) {
            return ['outcome' => 'duplicate', 'reason' => ''];
        }
        try {
            $message = Json::decodeObject($body);
            $type = (string) ($message['type'] ?? '');
            $data = $message['data'] ?? null;
            if (!in_array($type, EventType::RESULTS, true) || !is_array($data)) {
                throw new InvalidMessage(sprintf('not a result message (type "%s")', $type));
            }
        } catch (Throwable $e) {
            return $this->record($messageId, 'invalid', 'kept', 'invalid message: ' . $e->getMessage(), null, $body);
        }
        $hostfactId = isset($data['hostfact_id']) ? (string) $data['hostfact_id'] : null;
        try {
            [$outcome, $reason] = match ($type) {
                EventType::PAYMENT_MATCHED, EventType::PAYMENT_PARTIAL, EventType::PAYMENT_REOPENED => $this->payment($type, $data),
                default => ['stored', ''],
            };
        } catch (InvalidMessage $e) {
            [$outcome, $reason] = ['kept', 'invalid message: ' . $e->getMessage()];
        }
        return $this->record($messageId, $type, $outcome, $reason, $hostfactId, $body);
    }

    /**
     * @param array<string, mixed> $data
     * @return array{string, string}
     */
    private function payment(string $type, array $data): array
    {
        if (!$this->settings->isEnabled('payments')) {
            return ['kept', 'payment retrieval is switched off in the export settings'];
        }
        $kind = (string) ($data['kind'] ?? '');
        $id = (string) ($data['hostfact_id'] ?? '');
        $code = (string) ($data['invoice_code'] ?? '');
        if (!in_array($kind, ['sales', 'purchase'], true) || preg_match('/^\d+$/', $id) !== 1) {
            throw new InvalidMessage('kind must be sales or purchase and hostfact_id a HostFact id');
        }
        $controller = $kind === 'sales' ? 'invoice' : 'creditinvoice';
        $codeKey = $kind === 'sales' ? 'InvoiceCode' : 'CreditInvoiceCode';
        try {
            $invoice = $this->hostfact->show($controller, ['Identifier' => $id]);
        } catch (RecordGone) {
            return ['kept', sprintf('unknown %s %s (id %s) in HostFact', $controller, $code, $id)];
        }
        if ($code !== '' && (string) ($invoice[$codeKey] ?? '') !== $code) {
            return ['kept', sprintf('%s %s has code %s in HostFact, not %s', $controller, $id, (string) ($invoice[$codeKey] ?? ''), $code)];
        }
        $status = (string) ($invoice['Status'] ?? '');
        $paidStatus = $kind === 'sales' ? '4' : '3';
        $openStatuses = $kind === 'sales' ? ['2', '3'] : ['1', '2'];
        $open = Decimal::of((string) $invoice['AmountIncl'])->sub(Decimal::of((string) ($invoice['AmountPaid'] ?? '0')));

        if ($type === EventType::PAYMENT_REOPENED) {
            if ($kind === 'purchase') {
                return ['kept', 'HostFact has no markasunpaid for purchase invoices; reopen it by hand'];
            }
            if (!in_array($status, ['3', '4'], true)) {
                return ['unchanged', sprintf('invoice is open already (status %s)', $status)];
            }
            $this->write($controller, 'markasunpaid', $id, ['Identifier' => $id]);
            return ['applied', ''];
        }
        if ($status === $paidStatus) {
            return ['unchanged', 'already paid in HostFact' . ((string) ($invoice['TransactionID'] ?? '') !== '' ? ' (online payment)' : '')];
        }
        if (!in_array($status, $openStatuses, true)) {
            return ['kept', sprintf('%s %s has status %s: not payable', $controller, $code, $status)];
        }
        $payDate = (string) ($data['pay_date'] ?? '');
        if (preg_match('/^\d{4}-\d{2}-\d{2}$/', $payDate) !== 1) {
            throw new InvalidMessage('pay_date must be YYYY-MM-DD');
        }
        if ($type === EventType::PAYMENT_MATCHED) {
            $this->write($controller, 'markaspaid', $id, ['Identifier' => $id, 'PayDate' => $payDate]);
            return ['applied', ''];
        }
        $amount = Decimal::of((string) ($data['amount'] ?? ''));
        $amountOpen = Decimal::of((string) ($data['amount_open'] ?? ''));
        if ($amount->isNegative() || $amount->isZero()) {
            throw new InvalidMessage('amount of a part payment must be positive');
        }
        if ($open->compare($amountOpen) <= 0) {
            return ['unchanged', sprintf('HostFact shows %s open, Exact %s: this part payment is in already', $open->round(2), $amountOpen->round(2))];
        }
        $this->write($controller, 'partpayment', $id, ['Identifier' => $id, 'AmountPaid' => $amount->round(2)->toString(), 'PayDate' => $payDate]);
        $after = $open->sub($amount);
        return ['applied', $after->compare($amountOpen) === 0 ? '' : sprintf('open in HostFact %s differs from Exact %s', $after->round(2), $amountOpen->round(2))];
    }

    /** @param array<string, string> $params */
    private function write(string $controller, string $action, string $id, array $params): void
    {
        try {
            WriteBackGuard::during($id, fn () => $this->hostfact->act($controller, $action, $params));
            if ($controller === 'creditinvoice') {
                // HostFact fires no hooks for purchase invoices: the relay's poller sees this
                // write-back as a change (Modified moved). Remember the stamp it left so the
                // poller can tell our own echo from a real edit.
                $after = $this->hostfact->show('creditinvoice', ['Identifier' => $id]);
                (new State($this->db))->set(self::writeBackKey($id), (string) ($after['Modified'] ?? ''));
            }
        } catch (HostFactError $e) {
            if (preg_match('/concurrent|try again/i', $e->getMessage()) === 1) {
                throw new TransientWriteBack($e->getMessage(), 0, $e);
            }
            throw new InvalidMessage('HostFact refused ' . $action . ': ' . implode('; ', $e->errors), 0, $e);
        }
    }

    /** The hfexact_state key holding the Modified stamp our last write-back left on a purchase invoice. */
    public static function writeBackKey(string $creditInvoiceId): string
    {
        return 'writeback.creditinvoice.' . $creditInvoiceId;
    }

    private function seen(string $messageId): bool
    {
        return $this->db->one('SELECT 1 FROM hfexact_results WHERE message_id = ?', [$messageId]) !== null;
    }

    /** @return array{outcome: string, reason: string} */
    private function record(string $messageId, string $type, string $outcome, string $reason, ?string $hostfactId, string $body): array
    {
        $this->db->run(
            $this->db->insertIgnoringDuplicates(
                'hfexact_results',
                ['message_id', 'type', 'status', 'reason', 'hostfact_id', 'payload', 'received_at', 'processed_at'],
                'message_id',
            ),
            [$messageId, $type, $outcome, $reason === '' ? null : $reason, $hostfactId, mb_substr($body, 0, 65000), time(), time()],
        );
        return ['outcome' => $outcome, 'reason' => $reason];
    }
}
