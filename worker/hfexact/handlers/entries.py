"""Creating one Exact entry for one HostFact record, exactly once.

The protocol, for sales, purchase and general journal entries alike:

1. under the record lock, a done binding means the entry exists: nothing is called;
2. the binding is written ``pending`` (committed) before the POST;
3. a binding that was *already* pending means an earlier attempt may have landed (a crash or
   a dropped connection between Exact's commit and our bookkeeping): once that attempt's
   request can no longer be on its way (``settled_since``: it began longer ago than the
   client's timeouts; until then the event waits, ``MayStillLand``), the entry is looked up in
   Exact (``YourRef`` + journal, or the line description for journal entries) and adopted when
   found, else posted;
4. a validation error, a spent rate budget (429 or the shared budget) and a lost
   authorization mark the binding ``failed``: nothing landed, the retry posts afresh without
   a lookup; a transient error (503, timeout, dropped connection) leaves it ``pending`` so the
   retry looks before it posts;
5. what landed is recorded ``done`` with the entry's GUID and number, without waiting for the
   disk: a power cut that loses this commit leaves the binding pending, and 3. applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hfexact.errors import AuthorizationLost, ExactRejected, RateLimited
from hfexact.handlers.context import Context, settled_since
from hfexact.handlers.master import with_fresh_references
from hfexact.logs import get_logger
from hfexact.store import Binding

log = get_logger("hfexact.processing")


@dataclass(frozen=True)
class EntryJob:
    kind: str  # binding kind
    hostfact_id: str
    hostfact_code: str
    path: str  # e.g. "salesentry/SalesEntries"
    #: builds the payload (resolving lookups itself, so a retry after an invalid reference
    #: uses fresh GUIDs)
    build: Callable[[], Mapping[str, Any]]
    #: finds an entry that landed earlier: returns {"EntryID":..., "EntryNumber":...} or None
    find: Callable[[], Mapping[str, Any] | None]
    version: str | None = None
    details: Mapping[str, Any] | None = None


def create_entry(ctx: Context, job: EntryJob, previous: Binding | None) -> tuple[Binding, str]:
    """Post (or adopt) the entry; the caller holds the record lock. Returns (binding, how)."""
    store = ctx.store
    was_pending = previous is not None and previous.state == "pending"
    if was_pending:
        assert previous is not None
        settled_since(ctx, previous, f"{job.kind} {job.hostfact_code}")
    store.begin_binding(ctx.installation, job.kind, job.hostfact_id,
                        hostfact_code=job.hostfact_code, division=ctx.division,
                        event_id=ctx.env.id)
    landed = job.find() if was_pending else None
    how = "adopted"
    if landed is not None:
        log.info("exact.entry_adopted", kind=job.kind, hostfact_code=job.hostfact_code,
                 exact_id=str(landed.get("EntryID")))
    if landed is None:
        try:
            landed = with_fresh_references(
                ctx, lambda: ctx.exact.post(ctx.division, job.path, job.build())
            )
        except ExactRejected as exc:
            store.fail_binding(ctx.installation, job.kind, job.hostfact_id,
                               reason=exc.exact_message or exc.message)
            raise
        except (RateLimited, AuthorizationLost) as exc:
            # refused before Exact booked anything: the retry posts without looking first
            store.fail_binding(ctx.installation, job.kind, job.hostfact_id, reason=exc.message)
            raise
        how = "created"
    number = landed.get("EntryNumber")
    binding = store.complete_binding(
        ctx.installation, job.kind, job.hostfact_id,
        exact_id=str(landed["EntryID"]),
        exact_number=None if number is None else str(number),
        exact_code=None, version=job.version, details=dict(job.details or {}),
        hostfact_code=job.hostfact_code, division=ctx.division, event_id=ctx.env.id,
        durable=False,  # the pending binding above is durable: its loss means a look first
    )
    return binding, how


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def find_by_your_ref(
    ctx: Context, path: str, your_ref: str, journal: str, party_field: str, party_id: str
) -> Mapping[str, Any] | None:
    """An entry with this YourRef in this journal for this customer/supplier, if any."""
    flt = (f"YourRef eq {quote(your_ref)} and Journal eq {quote(journal)} "
           f"and {party_field} eq guid'{party_id}'")
    rows = ctx.exact.get(ctx.division, path, {"$filter": flt,
                                              "$select": "EntryID,EntryNumber,Status",
                                              "$top": "1"})
    return rows[0] if rows else None
