"""Export settings per installation, the master-data cache, cursors and the activity log."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from hfexact.store import schema
from hfexact.store.base import StoreBase, dump_json, to_datetime
from hfexact.store.types import StoredSettings


@dataclass(frozen=True)
class Outcome:
    """One processed event, as ``record_outcome`` stored it."""

    event_id: str | None
    event_type: str
    outcome: str
    hostfact_code: str | None
    exact_id: str | None
    duration_ms: float | None
    at: datetime


class RecordsMixin(StoreBase):
    # -- settings -------------------------------------------------------------------------------

    def save_settings(self, installation: str, data: Mapping[str, Any], *, version: str) -> None:
        """Store the installation's settings; their check result is reset to unknown."""
        with self._tx() as conn:
            self._upsert(conn, schema.export_settings, {
                "installation": installation, "data": dump_json(dict(data)), "version": version,
                "valid": None, "problems": "[]", "updated_at": self._clock(),
            }, ("installation",))

    def load_settings(self, installation: str) -> StoredSettings | None:
        with self._tx(read_only=True) as conn:
            row = conn.execute(
                select(schema.export_settings)
                .where(schema.export_settings.c.installation == installation)
            ).one_or_none()
        if row is None:
            return None
        return StoredSettings(
            data=json.loads(row.data), version=row.version,
            valid=None if row.valid is None else bool(row.valid),
            problems=list(json.loads(row.problems)), updated_at=to_datetime(row.updated_at),
        )

    def mark_settings_validated(
        self, installation: str, version: str, valid: bool, problems: list[str]
    ) -> bool:
        """Record the check result if ``version`` is still the stored one; returns whether so."""
        t = schema.export_settings
        with self._tx() as conn:
            result = conn.execute(
                update(t).where((t.c.installation == installation) & (t.c.version == version))
                .values(valid=valid, problems=dump_json(list(problems)), updated_at=self._clock())
            )
        return bool(result.rowcount)

    # -- master-data cache ---------------------------------------------------------------------

    def cache_get(self, division: int, kind: str, key: str) -> str | None:
        t = schema.cache
        with self._tx(read_only=True) as conn:
            value = conn.execute(
                select(t.c.value)
                .where((t.c.division == division) & (t.c.kind == kind) & (t.c.key == key))
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def cache_put(self, division: int, kind: str, key: str, value: str) -> None:
        with self._tx() as conn:
            self._upsert(conn, schema.cache, {
                "division": division, "kind": kind, "key": key, "value": value,
                "updated_at": self._clock(),
            }, ("division", "kind", "key"))

    def cache_drop(self, division: int, kind: str | None = None) -> int:
        """Forget cached master data of a division (one kind or all); returns rows dropped."""
        t = schema.cache
        where = t.c.division == division
        if kind is not None:
            where = where & (t.c.kind == kind)
        with self._tx() as conn:
            return int(conn.execute(delete(t).where(where)).rowcount)

    # -- cursors ---------------------------------------------------------------------------------

    def get_cursor(self, name: str) -> str | None:
        with self._tx(read_only=True) as conn:
            value = conn.execute(
                select(schema.cursors.c.value).where(schema.cursors.c.name == name)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def set_cursor(self, name: str, value: str) -> None:
        with self._tx() as conn:
            self._upsert(conn, schema.cursors, {
                "name": name, "value": value, "updated_at": self._clock(),
            }, ("name",))

    # -- activity --------------------------------------------------------------------------------

    def record_outcome(
        self,
        event_id: str | None,
        event_type: str,
        outcome: str,
        hostfact_code: str | None,
        exact_id: str | None,
        duration_ms: float | None,
        *,
        at: float | None = None,
    ) -> None:
        with self._tx(durable=False) as conn:  # status only: a power cut may lose the last
            conn.execute(schema.activity.insert().values(
                event_id=event_id, event_type=event_type, outcome=outcome,
                hostfact_code=hostfact_code, exact_id=exact_id, duration_ms=duration_ms,
                at=self._clock() if at is None else at,
            ))

    def last_success_by_type(self) -> dict[str, datetime]:
        """Event type -> when an event of that type last ended "done"."""
        t = schema.activity
        with self._tx(read_only=True) as conn:
            rows = conn.execute(
                select(t.c.event_type, func.max(t.c.at))
                .where(t.c.outcome == "done").group_by(t.c.event_type)
            ).all()
        return {str(r[0]): to_datetime(float(r[1])) for r in rows}

    def recent_outcomes(self, limit: int = 50) -> list[Outcome]:
        t = schema.activity
        with self._tx(read_only=True) as conn:
            rows = conn.execute(select(t).order_by(t.c.id.desc()).limit(limit)).all()
        return [Outcome(r.event_id, r.event_type, r.outcome, r.hostfact_code, r.exact_id,
                        r.duration_ms, to_datetime(r.at)) for r in rows]

    def prune_activity(self, before: float) -> int:
        """Delete activity older than ``before`` (epoch seconds); returns rows deleted."""
        with self._tx() as conn:
            return int(conn.execute(
                delete(schema.activity).where(schema.activity.c.at < before)
            ).rowcount)
