"""``debtor.upserted``, ``debtor.archived`` and ``creditor.upserted``."""

from __future__ import annotations

from hfexact.contract.domain import Creditor, Debtor
from hfexact.core.accounts import blocked_account
from hfexact.handlers.context import Context
from hfexact.handlers.parties import (
    AccountStatus,
    PartySpec,
    creditor_spec,
    debtor_spec,
    ensure_account,
)
from hfexact.handlers.results import export_succeeded
from hfexact.processing_types import Outcome, OutcomeStatus, ResultMessage

_STATUS: dict[AccountStatus, OutcomeStatus] = {
    "created": "done", "adopted": "done", "updated": "done", "existing": "duplicate",
    "duplicate": "duplicate", "ignored": "ignored",
}


def _upsert(ctx: Context, spec: PartySpec) -> Outcome:
    binding, status = ensure_account(ctx, spec, upsert=True)
    results: tuple[ResultMessage, ...] = ()
    if status != "ignored":  # an older version changes nothing and reports nothing
        results = (export_succeeded(binding, state=binding.version or "created"),)
    return Outcome(
        status=_STATUS[status],
        event_type=ctx.env.type,
        hostfact_code=spec.hostfact_code,
        exact_id=binding.exact_id,
        details={"account": status, "account_code": binding.exact_code,
                 "version": spec.version},
        results=results,
    )


def debtor_upserted(ctx: Context, debtor: Debtor) -> Outcome:
    """A customer account, created or updated (never older over newer)."""
    return _upsert(ctx, debtor_spec(ctx, debtor))


def creditor_upserted(ctx: Context, creditor: Creditor) -> Outcome:
    """A supplier account, created or updated."""
    return _upsert(ctx, creditor_spec(ctx, creditor))


def debtor_archived(ctx: Context, debtor: Debtor) -> Outcome:
    """Block the debtor's account (or leave it, as configured); bookings are never deleted."""
    hid = str(debtor.identifier)

    def outcome(status: OutcomeStatus, note: str, exact_id: str | None = None) -> Outcome:
        return Outcome(status=status, event_type=ctx.env.type, hostfact_code=debtor.debtor_code,
                       exact_id=exact_id, details={"archived": note})

    if ctx.archived_debtors != "block":
        return outcome("ignored", "left as it is (configured)")
    store = ctx.store
    with store.record_lock(ctx.installation, "debtor", hid):
        binding = store.get_binding(ctx.installation, "debtor", hid)
        if binding is None or binding.state != "done" or binding.exact_id is None:
            return outcome("ignored", "no account in Exact")
        if binding.details.get("blocked"):
            return Outcome(status="duplicate", event_type=ctx.env.type,
                           hostfact_code=debtor.debtor_code, exact_id=binding.exact_id,
                           details={"archived": "blocked"},
                           results=(export_succeeded(binding, state="archived"),))
        ctx.exact.put(ctx.division, f"crm/Accounts(guid'{binding.exact_id}')", blocked_account())
        done = store.complete_binding(
            ctx.installation, "debtor", hid, exact_id=binding.exact_id,
            exact_number=binding.exact_number, exact_code=binding.exact_code,
            version=binding.version, details={**binding.details, "blocked": True},
            event_id=ctx.env.id,
        )
    return Outcome(status="done", event_type=ctx.env.type, hostfact_code=debtor.debtor_code,
                   exact_id=done.exact_id, details={"archived": "blocked"},
                   results=(export_succeeded(done, state="archived"),))
