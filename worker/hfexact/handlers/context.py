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
from hfexact.store import Store


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
