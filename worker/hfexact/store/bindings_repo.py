"""Bindings: which Exact record a HostFact record became, with a pending state before the call."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from hfexact.store import schema
from hfexact.store.base import StoreBase, dump_json, to_datetime
from hfexact.store.locks import advisory_key, pg_advisory_lock
from hfexact.store.types import BINDING_KINDS, Binding

_T = schema.bindings


def _check_kind(kind: str) -> None:
    if kind not in BINDING_KINDS:
        raise ValueError(f"unknown binding kind {kind!r}; expected one of {sorted(BINDING_KINDS)}")


def _row_to_binding(row: Sequence[Any]) -> Binding:
    """A row of the whole table, in its column order: the driver's tuple or SQLAlchemy's Row."""
    (installation, kind, hostfact_id, hostfact_code, division, state, exact_id, exact_number,
     exact_code, version, details, event_id, _created_at, updated_at) = row
    return Binding(
        installation=installation, kind=kind, hostfact_id=hostfact_id,
        hostfact_code=hostfact_code, division=None if division is None else int(division),
        state=state, exact_id=exact_id, exact_number=exact_number, exact_code=exact_code,
        version=version, details=json.loads(details), updated_at=to_datetime(updated_at),
        event_id=event_id,
    )


#: statements built once (SQLAlchemy caches their compiled form; only parameters change)
_BY_KEY = ((_T.c.installation == bindparam("k_installation")) & (_T.c.kind == bindparam("k_kind"))
           & (_T.c.hostfact_id == bindparam("k_hostfact_id")))
_SELECT = select(_T).where(_BY_KEY)
_SELECT_FOR_UPDATE = _SELECT.with_for_update()
_UPDATE = update(_T).where(_BY_KEY)  # SET columns: the other keys of the parameters
assert tuple(c.name for c in _T.columns) == (
    "installation", "kind", "hostfact_id", "hostfact_code", "division", "state", "exact_id",
    "exact_number", "exact_code", "version", "details", "event_id", "created_at", "updated_at",
), "_row_to_binding reads the columns in this order"


def _key(installation: str, kind: str, hostfact_id: str) -> dict[str, str]:
    return {"k_installation": installation, "k_kind": kind, "k_hostfact_id": str(hostfact_id)}


class BindingsMixin(StoreBase):
    def get_binding(self, installation: str, kind: str, hostfact_id: str) -> Binding | None:
        _check_kind(kind)
        with self._tx(read_only=True) as conn:
            return self._get(conn, installation, kind, hostfact_id)

    def get_bindings(
        self, installation: str, keys: list[tuple[str, str]]
    ) -> list[Binding | None]:
        """Several bindings (``(kind, hostfact_id)`` each) read in one transaction."""
        for kind, _ in keys:
            _check_kind(kind)
        with self._tx(read_only=True) as conn:
            return [self._get(conn, installation, kind, hostfact_id) for kind, hostfact_id in keys]

    def begin_binding(
        self,
        installation: str,
        kind: str,
        hostfact_id: str,
        *,
        hostfact_code: str | None,
        division: int | None,
        event_id: str | None,
    ) -> Binding:
        """Record that work on this record starts (state "pending"), committed on return.

        A binding that is already "done" is returned unchanged (check ``.state``); a pending or
        failed one is marked pending again for this event.
        """
        _check_kind(kind)
        now = self._clock()
        hostfact_id = str(hostfact_id)
        with self._tx() as conn:
            existing = self._get(conn, installation, kind, hostfact_id, lock=True)
            if existing is not None and existing.state == "done":
                return existing
            if existing is None:
                inserted = self._direct(conn, self._insert_ignore_statement(_T), {
                    "installation": installation, "kind": kind, "hostfact_id": hostfact_id,
                    "hostfact_code": hostfact_code, "division": division, "state": "pending",
                    "details": "{}", "event_id": event_id, "created_at": now, "updated_at": now,
                }).rowcount
                if inserted != 1:  # another writer's row came first (no record lock held)
                    found = self._get(conn, installation, kind, hostfact_id)
                    assert found is not None
                    return found
                details: Mapping[str, Any] = {}
            else:
                self._direct(conn, _UPDATE, {
                    **_key(installation, kind, hostfact_id), "hostfact_code": hostfact_code,
                    "division": division, "state": "pending", "event_id": event_id,
                    "updated_at": now,
                })
                details = existing.details
        # what the row now holds, without reading it back
        return Binding(
            installation=installation, kind=kind, hostfact_id=hostfact_id,
            hostfact_code=hostfact_code, division=None if division is None else int(division),
            state="pending", exact_id=None if existing is None else existing.exact_id,
            exact_number=None if existing is None else existing.exact_number,
            exact_code=None if existing is None else existing.exact_code,
            version=None if existing is None else existing.version, details=details,
            updated_at=to_datetime(now), event_id=event_id,
        )

    def complete_binding(
        self,
        installation: str,
        kind: str,
        hostfact_id: str,
        *,
        exact_id: str,
        exact_number: str | None,
        exact_code: str | None,
        version: str | None,
        details: Mapping[str, Any],
        hostfact_code: str | None = None,
        division: int | None = None,
        event_id: str | None = None,
        durable: bool = True,
    ) -> Binding:
        """Record what landed in Exact (state "done"); creates the binding if it is missing.

        ``exact_code`` is kept without Exact's padding (``find_binding_by_code`` compares so).
        ``durable=False`` is for a call made under a pending binding committed durably before
        it (``begin_binding``): the commit skips waiting for the disk, and should a power cut
        lose it, the binding is pending again, so the next attempt looks in Exact before it
        posts and adopts what it finds (a process crash loses nothing either way).
        """
        _check_kind(kind)
        now = self._clock()
        values: dict[str, Any] = {
            "state": "done", "exact_id": exact_id, "exact_number": exact_number,
            "exact_code": None if exact_code is None else exact_code.strip(),
            "version": version, "details": dump_json(dict(details)),
            "updated_at": now,
        }
        for name, value in (("hostfact_code", hostfact_code), ("division", division),
                            ("event_id", event_id)):
            if value is not None:
                values[name] = value
        if hostfact_code is not None and division is not None and event_id is not None:
            # every column is known: one UPDATE, no read (the caller holds the record lock)
            with self._tx(durable=durable) as conn:
                updated = self._direct(conn, _UPDATE, {**_key(installation, kind, hostfact_id),
                                                       **values}).rowcount
            if updated == 1:
                return Binding(
                    installation=installation, kind=kind, hostfact_id=str(hostfact_id),
                    hostfact_code=hostfact_code, division=int(division), state="done",
                    exact_id=exact_id, exact_number=exact_number,
                    exact_code=values["exact_code"], version=version,
                    details=json.loads(values["details"]), updated_at=to_datetime(now),
                    event_id=event_id,
                )
        with self._tx(durable=durable) as conn:
            existing = self._get(conn, installation, kind, hostfact_id, lock=True)
            if existing is None:
                values.update(installation=installation, kind=kind,
                              hostfact_id=str(hostfact_id), created_at=now)
                self._upsert(conn, _T, values, ("installation", "kind", "hostfact_id"))
                found = self._get(conn, installation, kind, hostfact_id)
                assert found is not None
                return found
            conn.execute(_UPDATE, {**_key(installation, kind, hostfact_id), **values})
        # what the row now holds, without reading it back
        return dataclasses.replace(
            existing, state="done", exact_id=exact_id, exact_number=exact_number,
            exact_code=values["exact_code"], version=version, details=json.loads(values["details"]),
            updated_at=to_datetime(now),
            hostfact_code=existing.hostfact_code if hostfact_code is None else hostfact_code,
            division=existing.division if division is None else int(division),
            event_id=existing.event_id if event_id is None else event_id,
        )

    def fail_binding(
        self, installation: str, kind: str, hostfact_id: str, *, reason: str
    ) -> Binding | None:
        """Mark a pending binding "failed" with the reason (a done binding stays done)."""
        _check_kind(kind)
        with self._tx() as conn:
            existing = self._get(conn, installation, kind, hostfact_id, lock=True)
            if existing is None or existing.state == "done":
                return existing
            details = dict(existing.details)
            details["failure"] = reason
            conn.execute(_UPDATE, {**_key(installation, kind, hostfact_id), "state": "failed",
                                   "details": dump_json(details), "updated_at": self._clock()})
            return self._get(conn, installation, kind, hostfact_id)

    def find_binding_by_code(
        self, installation: str, kind: str, exact_code: str
    ) -> Binding | None:
        """The binding that owns an Exact account code (codes compare without padding)."""
        _check_kind(kind)
        code = exact_code.strip()
        with self._tx(read_only=True) as conn:
            row = conn.execute(
                select(_T).where((_T.c.installation == installation) & (_T.c.kind == kind)
                                 & (_T.c.exact_code == code))
                .order_by(_T.c.created_at).limit(1)
            ).one_or_none()
        return None if row is None else _row_to_binding(row)

    def list_bindings(
        self, installation: str, kind: str, state: str | None = None
    ) -> list[Binding]:
        _check_kind(kind)
        where = (_T.c.installation == installation) & (_T.c.kind == kind)
        if state is not None:
            where = where & (_T.c.state == state)
        with self._tx(read_only=True) as conn:
            rows = conn.execute(select(_T).where(where).order_by(_T.c.hostfact_id)).all()
        return [_row_to_binding(r) for r in rows]

    @contextlib.contextmanager
    def record_lock(
        self, installation: str, kind: str, hostfact_id: str, timeout: float = 120.0
    ) -> Iterator[None]:
        """Serialize work on one HostFact record across workers (raises ``LockTimeout``).

        PostgreSQL: an advisory lock, so several worker processes can share the queue. SQLite:
        threads of this process only (SQLite is the single-worker, embedded setup).
        """
        _check_kind(kind)
        deadline = time.monotonic() + timeout
        name = "\x1f".join(("record", installation, kind, str(hostfact_id)))
        with self._local_locks.hold(name, timeout):
            if self.dialect == "postgresql":
                left = max(deadline - time.monotonic(), 0.001)
                key = advisory_key("record", installation, kind, str(hostfact_id))
                with pg_advisory_lock(self._engine, key, left, f"record {kind} {hostfact_id}"):
                    yield
            else:
                yield

    def _get(
        self, conn: Connection, installation: str, kind: str, hostfact_id: str,
        *, lock: bool = False,
    ) -> Binding | None:
        query = _SELECT_FOR_UPDATE if lock else _SELECT
        row = self._direct(conn, query, _key(installation, kind, hostfact_id)).fetchone()
        return None if row is None else _row_to_binding(row)
