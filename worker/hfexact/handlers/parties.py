"""Debtors and creditors -> Exact accounts, exactly once.

``ensure_account`` is shared by ``debtor.upserted`` / ``creditor.upserted`` and by the invoice
and purchase handlers (an invoice brings its debtor, so event order never matters):

* a done binding: nothing to create; an upsert updates the account (PUT, without ``Code``)
  when the event's version is newer, is a duplicate when equal, ignored when older;
* a masked code already owned by another HostFact record: ``TranslationError`` naming both;
* otherwise the binding goes ``pending`` (committed) before Exact is called, and the account is
  POSTed: one call for a new party. Only when the binding was already pending (an earlier
  attempt may have landed: a crash after the call) is the account first looked up in Exact (by
  ``Code``, else by ``SearchCode`` = HostFact code). When Exact refuses the POST because the
  code exists (``Bestaat reeds: Code``: an account from before cut-over, or made by hand), it is
  looked up then. Found and this record's: adopted (and updated); an account with that code that
  belongs to someone else is refused with both names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hfexact.contract.domain import Creditor, Debtor
from hfexact.core.accounts import (
    creditor_account,
    creditor_code,
    debtor_account,
    debtor_code,
    search_code,
)
from hfexact.core.codes import collision_message, exact_code_field
from hfexact.errors import AuthorizationLost, ExactRejected, RateLimited, TranslationError
from hfexact.handlers.context import Context, settled_since, version_of
from hfexact.logs import get_logger
from hfexact.store import Binding

log = get_logger("hfexact.processing")

PartyKind = Literal["debtor", "creditor"]
AccountStatus = Literal["created", "adopted", "updated", "duplicate", "ignored", "existing"]
ACCOUNTS = "crm/Accounts"
SELECT = "ID,Code,Name,SearchCode"


@dataclass(frozen=True)
class PartySpec:
    kind: PartyKind
    hostfact_id: str
    hostfact_code: str
    code: str | None
    payload: Mapping[str, Any]
    version: str


def debtor_spec(ctx: Context, debtor: Debtor) -> PartySpec:
    code = debtor_code(debtor, ctx.settings)
    return PartySpec("debtor", str(debtor.identifier), debtor.debtor_code, code,
                     debtor_account(debtor, ctx.settings, code=code),
                     version_of(debtor.modified, ctx.env.occurred_at))


def creditor_spec(ctx: Context, creditor: Creditor) -> PartySpec:
    code = creditor_code(creditor, ctx.settings)
    return PartySpec("creditor", str(creditor.identifier), creditor.creditor_code, code,
                     creditor_account(creditor, ctx.settings, code=code),
                     version_of(creditor.modified, ctx.env.occurred_at))


def ensure_account(
    ctx: Context, spec: PartySpec | Callable[[], PartySpec], *, upsert: bool,
    known: Binding | None = None,
) -> tuple[Binding, AccountStatus]:
    """The done binding of this party's Exact account, creating or updating it as needed.

    ``known``: the party's binding as the caller just read it; when done and no update is
    asked for, it is the answer (an account, once made, keeps its GUID). ``spec`` may be a
    function making it: it is then called only when the account is looked at (a spec translates
    the whole party, which a booking for a known party does not need).
    """
    if known is not None and known.state == "done" and not upsert:
        return known, "existing"
    if not isinstance(spec, PartySpec):
        spec = spec()
    store = ctx.store
    with store.record_lock(ctx.installation, spec.kind, spec.hostfact_id):
        binding = store.get_binding(ctx.installation, spec.kind, spec.hostfact_id)
        if binding is not None and binding.state == "done":
            if not upsert:
                return binding, "existing"
            return _update(ctx, spec, binding)
        if spec.code is not None:
            owner = store.find_binding_by_code(ctx.installation, spec.kind, spec.code)
            if owner is not None and owner.hostfact_id != spec.hostfact_id:
                raise TranslationError(
                    collision_message(spec.kind, spec.hostfact_code, spec.code,
                                      owner.hostfact_code),
                    hint="widen the number mask or renumber one of them in HostFact",
                )
        was_pending = binding is not None and binding.state == "pending"
        if was_pending:
            assert binding is not None
            settled_since(ctx, binding, f"{spec.kind} {spec.hostfact_code}")
        store.begin_binding(ctx.installation, spec.kind, spec.hostfact_id,
                            hostfact_code=spec.hostfact_code, division=ctx.division,
                            event_id=ctx.env.id)
        # only an earlier attempt that may have landed is looked up before the POST
        found = _find(ctx, spec) if was_pending else None
        if found is None:
            try:
                account = ctx.exact.post(ctx.division, ACCOUNTS, spec.payload)
                status: AccountStatus = "created"
            except ExactRejected as exc:
                # the code exists in Exact: adopt it when it is this record's account (made by
                # HostFact's own export before cut-over, or by hand), else refuse with names
                found = _find(ctx, spec) if _code_exists(spec, exc) else None
                if found is None:
                    store.fail_binding(ctx.installation, spec.kind, spec.hostfact_id,
                                       reason=exc.exact_message or exc.message)
                    raise
            except (RateLimited, AuthorizationLost) as exc:  # refused before anything landed
                store.fail_binding(ctx.installation, spec.kind, spec.hostfact_id,
                                   reason=exc.message)
                raise
        if found is not None:
            if not (was_pending and binding is not None and binding.event_id == ctx.env.id):
                ctx.exact.put(ctx.division, _entity(found["ID"]), _without_code(spec.payload))
            status = "adopted"
            account = found
            log.info("exact.account_adopted", kind=spec.kind, hostfact_code=spec.hostfact_code,
                     exact_id=str(found["ID"]))
        done = store.complete_binding(
            ctx.installation, spec.kind, spec.hostfact_id,
            exact_id=str(account["ID"]), exact_number=None,
            exact_code=str(account.get("Code") or "").strip() or None,
            version=spec.version, details={"name": spec.payload.get("Name")},
            hostfact_code=spec.hostfact_code, division=ctx.division, event_id=ctx.env.id,
            durable=False,  # lost in a power cut, the durable pending binding means a look first
        )
        return done, status


def _update(ctx: Context, spec: PartySpec, binding: Binding) -> tuple[Binding, AccountStatus]:
    stored = binding.version or ""
    if spec.version < stored:
        return binding, "ignored"
    if spec.version == stored:
        return binding, "duplicate"
    assert binding.exact_id is not None
    ctx.exact.put(ctx.division, _entity(binding.exact_id), _without_code(spec.payload))
    done = ctx.store.complete_binding(
        ctx.installation, spec.kind, spec.hostfact_id,
        exact_id=binding.exact_id, exact_number=binding.exact_number,
        exact_code=binding.exact_code, version=spec.version,
        details={**binding.details, "name": spec.payload.get("Name")},
        hostfact_code=spec.hostfact_code, division=ctx.division, event_id=ctx.env.id,
    )
    return done, "updated"


def _code_exists(spec: PartySpec, exc: ExactRejected) -> bool:
    """Exact refused the POST because an account with our code exists (``Bestaat reeds``)."""
    said = (exc.exact_message or exc.message).lower()
    return spec.code is not None and ("bestaat reeds" in said or "already exists" in said)


def _entity(account_id: str) -> str:
    return f"{ACCOUNTS}(guid'{account_id}')"


def _without_code(payload: Mapping[str, Any]) -> dict[str, Any]:
    """An update never renumbers an account: ``Code`` stays as Exact has it."""
    return {k: v for k, v in payload.items() if k != "Code"}


def _find(ctx: Context, spec: PartySpec) -> dict[str, Any] | None:
    """This party's account in Exact, or None; someone else's account on our code: refused."""
    mine = search_code(spec.hostfact_code)
    if spec.code is not None:
        flt = f"Code eq '{exact_code_field(spec.code)}'"
    else:
        flt = f"SearchCode eq '{mine.replace(chr(39), chr(39) * 2)}'"
    rows = ctx.exact.get(ctx.division, ACCOUNTS, {"$filter": flt, "$select": SELECT,
                                                  "$top": "2"})
    if not rows:
        return None
    row = rows[0]
    theirs = str(row.get("SearchCode") or "").strip()
    name = str(row.get("Name") or "").strip()
    if theirs == mine or (not theirs and name.lower() == str(spec.payload["Name"]).lower()):
        return row
    if spec.code is None:
        return None
    raise TranslationError(
        f"{spec.kind} {spec.hostfact_code} maps to Exact account code {spec.code}, but that "
        f"account already exists for {name or 'another relation'}"
        + (f" (HostFact {theirs})" if theirs else ""),
        hint="widen the number mask, or fix the account in Exact",
    )
