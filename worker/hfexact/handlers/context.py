"""What every handler gets: the event, the division, the settings, the store and Exact.

``ExactApi`` is the seam to Exact Online (``hfexact.exact.client.ExactClient`` in production,
the same client against the sandbox in tests); handlers call nothing else that leaves the
process except the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hfexact.contract.domain import Envelope, ExportSettings
from hfexact.errors import MayStillLand
from hfexact.store import Binding, Store


class ExactApi(Protocol):
    """The subset of ``ExactClient`` the handlers use (paths relative to ``/api/v1/{div}/``)."""

    def get(
        self, division: int, path: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]: ...

    def iterate(
        self, division: int, path: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]: ...

    def post(self, division: int, path: str, payload: Mapping[str, Any]) -> dict[str, Any]: ...

    def put(self, division: int, path: str, payload: Mapping[str, Any]) -> None: ...

    def delete(self, division: int, path: str) -> None: ...


@dataclass(frozen=True)
class Context:
    """One event being processed."""

    env: Envelope
    installation: str
    division: int
    store: Store
    exact: ExactApi
    clock: Callable[[], float]
    #: the installation's valid export settings (None only for settings.changed)
    export: ExportSettings | None
    #: what to do with the account of an archived debtor: "block" or "leave"
    archived_debtors: str = "block"
    #: the processor's in-memory (division, GL code) -> GUID memo in front of the store cache
    gl_memo: dict[tuple[int, str], str] = field(default_factory=dict)
    #: how long after an attempt began its request may still land in Exact (see settled_since)
    in_flight_seconds: float = 0.0

    @property
    def settings(self) -> ExportSettings:
        assert self.export is not None, "handler needs settings but the gate let it through"
        return self.export

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)


def version_of(modified: dt.datetime | None, occurred_at: dt.datetime) -> str:
    """A sortable version of a HostFact record: its ``Modified``, then the event time (UTC).

    Two versions compare as strings. A record without ``Modified`` sorts before any that has
    one, so an event that cannot say when the record changed never overrides one that can.
    """
    stamp = modified.strftime("%Y-%m-%dT%H:%M:%S") if modified else "0000-00-00T00:00:00"
    when = occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return f"{stamp}|{when}"


def settled_since(ctx: Context, pending: Binding, what: str) -> None:
    """Raise MayStillLand while the attempt that left ``pending`` may still have a request on
    its way to Exact.

    A worker killed (or timed out) with its POST in flight does not stop Exact from booking it:
    the request lands when Exact gets to it. A retry that looked for the entry before then would
    find nothing and post a second one. So the lookup waits until the attempt began at least
    ``in_flight_seconds`` ago (the client's connect and read timeouts: an answer later than
    that is not one Exact gives in normal operation).
    """
    began = pending.updated_at.timestamp()
    ready_at = began + ctx.in_flight_seconds
    if ctx.clock() < ready_at:
        raise MayStillLand(
            f"an earlier attempt at {what} began {ctx.clock() - began:.1f} s ago and its "
            f"request may still land in Exact; it is looked for after "
            f"{ctx.in_flight_seconds:.0f} s",
            retry_at=ready_at,
        )
