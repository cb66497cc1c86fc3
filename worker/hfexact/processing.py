"""One event in, its Exact effect and result messages out: ``Processor.process``.

    parse (contract)  ->  settings gate  ->  handler: record lock -> binding check ->
    translate (core) -> Exact calls -> binding done  ->  Outcome(results)

What the caller (the AMQP worker loop) does with what comes out:

* ``Outcome``: publish ``results`` (with confirms), then ack. A duplicate delivery returns
  the same results with the same message ids.
* ``PermanentError`` (ContractError, TranslationError, ExactRejected): dead-letter now; publish
  the error's ``results`` attribute (``export.failed`` in the user's words, the same as
  ``failure_results(body, error)``) first.
* ``TransientError`` (incl. ``WaitingForDependency``): delayed retry.
* ``RateLimited``: delay until ``retry_at``; not a failed attempt. Raised for the division
  that is out of budget only, so other divisions keep flowing.
* ``AuthorizationLost``: stop the worker.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from hfexact import advice, crashpoints
from hfexact.config import Settings
from hfexact.contract import domain as d
from hfexact.contract import parse_event
from hfexact.errors import (
    ConfigError,
    ContractError,
    ExactRejected,
    PermanentError,
    TranslationError,
    WaitingForDependency,
)
from hfexact.handlers.context import Context, ExactApi
from hfexact.handlers.invoices import invoice_changed, invoice_issued
from hfexact.handlers.party_events import creditor_upserted, debtor_archived, debtor_upserted
from hfexact.handlers.purchases import purchase_invoice_received
from hfexact.handlers.results import export_failed, settings_validated
from hfexact.handlers.sdd import sdd_batch_downloaded, sdd_reversed
from hfexact.handlers.settings_events import export_settings_from, settings_changed
from hfexact.processing_types import MessageMeta, Outcome, ResultMessage
from hfexact.store import Store, StoredSettings

JSON_TYPES = ("application/json", "text/json")
#: how long a worker uses valid export settings it read before it reads them again: a change
#: made by another worker is seen within this time (this worker's own change at once)
SETTINGS_FRESH_SECONDS = 2.0

#: event type -> (binding kind, switch in settings.enabled)
KINDS: dict[str, tuple[str, str]] = {
    "debtor.upserted": ("debtor", "debtors"),
    "debtor.archived": ("debtor", "debtors"),
    "creditor.upserted": ("creditor", "creditors"),
    "invoice.issued": ("invoice", "invoices"),
    "invoice.changed": ("invoice", "invoices"),
    "purchase_invoice.received": ("purchase_invoice", "purchase_invoices"),
    "sdd_batch.downloaded": ("sdd_batch", "sdd_batches"),
    "sdd.reversed": ("sdd_reversal", "sdd_batches"),
}


class Processor:
    """Turns HostFact events into Exact bookings, exactly once per HostFact record."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        client: ExactApi,
        *,
        clock: Callable[[], float] = time.time,
        archived_debtors: str = "block",
    ) -> None:
        if archived_debtors not in ("block", "leave"):
            raise ConfigError(["archived_debtors must be 'block' or 'leave'"])
        self.settings = settings
        self.store = store
        self.client = client
        self.clock = clock
        self.archived_debtors = archived_debtors
        #: installation -> (settings version, parsed settings): parsing once per version
        self._parsed_settings: dict[str, tuple[str, d.ExportSettings]] = {}
        #: installation -> (when read, valid stored settings): see SETTINGS_FRESH_SECONDS
        self._settings_read: dict[str, tuple[float, StoredSettings]] = {}
        #: an attempt's request may land in Exact until its connect and read timeouts passed
        #: (``handlers.context.settled_since``)
        timeout = settings.http_timeout_seconds
        self.in_flight_seconds = min(10.0, timeout) + timeout
        #: (division, GL code) -> GUID in front of the store's cache (see handlers.master)
        self._gl_memo: dict[tuple[int, str], str] = {}

    # -- the one entry point ------------------------------------------------------------------

    def process(self, body: bytes, meta: MessageMeta) -> Outcome:
        """Process one delivery; see the module docstring for what the caller does."""
        _check_content_type(meta)
        env = parse_event(body, max_bytes=self.settings.max_message_bytes,
                          allowed_types=d.EVENT_TYPES)
        crashpoints.poisoned(env.id)  # test-only fault hook, inert unless armed
        try:
            outcome = self._dispatch_with_fresh_settings_on_doubt(env)
        except PermanentError as exc:
            # the worker loop publishes these before it dead-letters the event
            exc.results = self.failure_results(body, exc)  # type: ignore[attr-defined]
            raise
        crashpoints.reached("after_commit")  # test-only fault hook, inert unless armed
        return outcome

    def failure_results(self, body: bytes, error: PermanentError) -> tuple[ResultMessage, ...]:
        """The result to publish when ``error`` dead-letters this event (may be empty).

        ``export.failed`` for a record event (deterministic id per event), a failing
        ``settings.validated`` for settings; nothing for a body that is not a valid event.
        """
        if isinstance(error, ContractError):
            return ()
        try:
            env = parse_event(body, max_bytes=self.settings.max_message_bytes,
                              allowed_types=d.EVENT_TYPES)
        except ContractError:
            return ()
        reason = error.message if not error.hint else f"{error.message} ({error.hint})"
        exact_message = error.exact_message if isinstance(error, ExactRejected) else ""
        now = _now(self.clock)
        if env.type == "settings.changed":
            text = reason if not exact_message else f"{reason}: {exact_message}"
            return (settings_validated(installation=env.installation, version=env.id,
                                       problems=[text], occurred_at=now),)
        kind, hostfact_id, code = record_identity(env)
        division = self._division_or_none(env.installation)
        if isinstance(error, ExactRejected):  # Exact's text alone is not plain words: advise
            said = advice.for_error(error, division=division, hostfact_code=code,
                                    event_type=env.type)
            reason = f"{said.problem}: {said.next_step(env.id)}"
        return (export_failed(
            installation=env.installation, kind=kind, hostfact_id=hostfact_id,
            hostfact_code=code, reason=reason, exact_message=exact_message,
            state=f"failed:{env.id}", occurred_at=now, division=division, event_id=env.id,
        ),)

    def close(self) -> None:
        """Release the Exact client's session and the store's connections."""
        close = getattr(self.client, "close", None)
        if callable(close):
            close()
        self.store.close()

    # -- internals ----------------------------------------------------------------------------

    def _division_or_none(self, installation: str) -> int | None:
        try:
            return self.settings.division_for(installation)
        except ConfigError:
            return None

    def _context(self, env: d.Envelope) -> Context:
        try:
            division = self.settings.division_for(env.installation)
        except ConfigError as exc:
            raise TranslationError(
                f"installation {env.installation!r} has no Exact division configured",
                hint="; ".join(exc.problems),
            ) from exc
        export: d.ExportSettings | None = None
        if env.type == "settings.changed":
            assert isinstance(env.data, d.ExportSettings)
            export = env.data
        else:
            export = self._valid_settings(env.installation)
        archived = self.archived_debtors
        return Context(env=env, installation=env.installation, division=division,
                       store=self.store, exact=self.client, clock=self.clock, export=export,
                       archived_debtors=archived, gl_memo=self._gl_memo,
                       in_flight_seconds=self.in_flight_seconds)

    def _kept_settings(self, installation: str) -> StoredSettings | None:
        """Valid settings read less than SETTINGS_FRESH_SECONDS ago, else None."""
        read = self._settings_read.get(installation)
        if read is not None and time.monotonic() - read[0] < SETTINGS_FRESH_SECONDS:
            return read[1]
        return None

    def _valid_settings(self, installation: str) -> d.ExportSettings:
        stored = self._kept_settings(installation)
        if stored is None:
            stored = self.store.load_settings(installation)
            if stored is not None and stored.valid is True:
                self._settings_read[installation] = (time.monotonic(), stored)
            else:
                self._settings_read.pop(installation, None)
        if stored is None:
            raise WaitingForDependency(
                f"no export settings for installation {installation!r} yet: events wait for "
                f"a settings.changed that Exact accepts")
        if stored.valid is not True:
            state = "not checked yet" if stored.valid is None else "invalid: " + "; ".join(
                stored.problems)
            raise WaitingForDependency(
                f"the export settings of installation {installation!r} are {state}")
        cached = self._parsed_settings.get(installation)
        if cached is not None and cached[0] == stored.version:
            return cached[1]
        export = export_settings_from(stored.data)
        self._parsed_settings[installation] = (stored.version, export)
        return export

    def _dispatch_with_fresh_settings_on_doubt(self, env: d.Envelope) -> Outcome:
        """Dispatch; a translation error met with settings kept from an earlier read (another
        worker may have stored the operator's fix since) is tried once more with the settings
        read now, so a replay right after a fix never fails on a stale copy."""
        kept = self._kept_settings(env.installation) is not None
        try:
            return self._dispatch(self._context(env))
        except TranslationError:
            if not kept:
                raise
            self._settings_read.pop(env.installation, None)
            return self._dispatch(self._context(env))

    def _dispatch(self, ctx: Context) -> Outcome:
        env = ctx.env
        data = env.data
        if env.type == "settings.changed":
            assert isinstance(data, d.ExportSettings)
            self._settings_read.pop(env.installation, None)
            try:
                return settings_changed(ctx, data)
            finally:
                self._settings_read.pop(env.installation, None)
        _kind, switch = KINDS[env.type]
        if not getattr(ctx.settings.enabled, switch):
            return Outcome(status="ignored", event_type=env.type,
                           hostfact_code=record_identity(env)[2],
                           details={"reason": f"export of {switch} is switched off"})
        if isinstance(data, d.Debtor):
            if env.type == "debtor.archived":
                return debtor_archived(ctx, data)
            return debtor_upserted(ctx, data)
        if isinstance(data, d.Creditor):
            return creditor_upserted(ctx, data)
        if isinstance(data, d.Invoice):
            assert isinstance(env.related, d.InvoiceRelated)
            if env.type == "invoice.changed":
                return invoice_changed(ctx, data, env.related)
            return invoice_issued(ctx, data, env.related)
        if isinstance(data, d.PurchaseInvoice):
            assert isinstance(env.related, d.PurchaseInvoiceRelated)
            return purchase_invoice_received(ctx, data, env.related)
        if isinstance(data, d.SddBatch):
            return sdd_batch_downloaded(ctx, data)
        if isinstance(data, d.SddReversal):
            return sdd_reversed(ctx, data)
        raise ContractError({"type": [f"{env.type} is not an event the worker handles"]})


def build_processor(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    archived_debtors: str | None = None,
) -> Processor:
    """A processor wired from the settings: the store at ``store_url`` and an Exact client.

    For the ``worker`` command and the demo; ``processor.close()`` releases both.
    """
    from hfexact.exact.client import ExactClient
    from hfexact.store import open_store, secret_key_from_settings

    store = open_store(settings.store_url, secret_key=secret_key_from_settings(settings))
    client = ExactClient(settings, store, clock=clock)
    return Processor(
        settings, store, client, clock=clock,
        archived_debtors=archived_debtors or settings.archived_debtors,
    )


def record_identity(env: d.Envelope) -> tuple[str, str, str]:
    """(binding kind, HostFact id, HostFact code) of the record an event is about."""
    data: Any = env.data
    if isinstance(data, d.Debtor):
        return "debtor", str(data.identifier), data.debtor_code
    if isinstance(data, d.Creditor):
        return "creditor", str(data.identifier), data.creditor_code
    if isinstance(data, d.Invoice):
        return "invoice", str(data.identifier), data.invoice_code
    if isinstance(data, d.PurchaseInvoice):
        return "purchase_invoice", str(data.identifier), data.credit_invoice_code
    if isinstance(data, d.SddBatch):
        return "sdd_batch", data.batch_id, data.batch_id
    if isinstance(data, d.SddReversal):
        return "sdd_reversal", str(data.invoice_id or data.batch_id), data.invoice_code
    return "settings", env.id, env.installation


def _check_content_type(meta: MessageMeta) -> None:
    ctype = (meta.content_type or "").split(";")[0].strip().lower()
    if ctype and ctype not in JSON_TYPES:
        raise ContractError({"content_type": [
            f"Content type {meta.content_type!r} is not JSON; expected application/json."]})


def _now(clock: Callable[[], float]) -> dt.datetime:
    return dt.datetime.fromtimestamp(clock(), dt.UTC)


__all__ = [
    "MessageMeta", "Outcome", "Processor", "ResultMessage", "build_processor", "record_identity",
]
