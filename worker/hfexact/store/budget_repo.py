"""Exact's rate budget per division, shared by every worker that uses the same store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection

from hfexact.store import budget as arithmetic
from hfexact.store import schema
from hfexact.store.base import StoreBase
from hfexact.store.types import Budget

_FIELDS = ("minute_limit", "minute_remaining", "minute_reset_at",
           "day_limit", "day_remaining", "day_reset_at")

_COLUMNS = tuple(schema.budgets.c[f] for f in _FIELDS)


def _row_to_budget(row: Sequence[Any]) -> Budget:
    """The ``_FIELDS`` columns of a row, in that order (a driver tuple or SQLAlchemy's Row)."""
    return Budget(**dict(zip(_FIELDS, row, strict=True)))


_BY_DIVISION = schema.budgets.c.division == bindparam("k_division")
_SELECT = select(*_COLUMNS).where(_BY_DIVISION)
#: locked (FOR UPDATE on PostgreSQL; on SQLite the BEGIN IMMEDIATE already holds the write
#: lock): every Exact call reads it, through ``StoreBase._direct``
_LOCKED = _SELECT.with_for_update()


class BudgetMixin(StoreBase):
    def get_budget(self, division: int) -> Budget | None:
        with self._tx(read_only=True) as conn:
            row = self._direct(conn, _SELECT, {"k_division": division}).fetchone()
        return None if row is None else _row_to_budget(row)

    def list_budgets(self) -> dict[int, Budget]:
        with self._tx(read_only=True) as conn:
            rows = conn.execute(select(schema.budgets.c.division, *_COLUMNS)
                                .order_by(schema.budgets.c.division)).all()
        return {int(r[0]): _row_to_budget(r[1:]) for r in rows}

    def record_budget(self, division: int, budget: Budget) -> Budget:
        """Merge what a response reported into the stored budget; returns the result.

        Windows ``budget`` leaves unknown keep their stored values; within the same window the
        lower remaining count wins (other workers' calls may still be in flight).
        """
        with self._tx(durable=False) as conn:
            stored = self._locked_budget(conn, division)
            merged = arithmetic.merge(stored, budget)
            if merged != stored:
                self._write(conn, division, merged)
        return merged

    def reserve_call(
        self, division: int, now: float, *, keep_minute: int = 0, keep_day: int = 0
    ) -> float | None:
        """Atomically take one call from the division's budget.

        Returns None when the call may go ahead (also when nothing is known yet), or the epoch
        time until which every worker must wait. ``keep_*`` calls stay in reserve.
        """
        return self.reserve_budget(division, now, keep_minute=keep_minute,
                                   keep_day=keep_day)[1]

    def reserve_budget(
        self, division: int, now: float, *, keep_minute: int = 0, keep_day: int = 0
    ) -> tuple[Budget | None, float | None]:
        """``reserve_call`` that also returns the budget as the reservation left it (None
        when nothing is known yet)."""
        with self._tx(durable=False) as conn:
            stored = self._locked_budget(conn, division)
            if stored is None:
                return None, None
            after, wait_until = arithmetic.reserve(
                stored, now, keep_minute=keep_minute, keep_day=keep_day
            )
            if after != stored:
                self._write(conn, division, after)
        return after, wait_until

    def drop_budget(self, division: int) -> None:
        with self._tx() as conn:
            conn.execute(delete(schema.budgets).where(schema.budgets.c.division == division))

    def _locked_budget(self, conn: Connection, division: int) -> Budget | None:
        row = self._direct(conn, _LOCKED, {"k_division": division}).fetchone()
        return None if row is None else _row_to_budget(row)

    def _write(self, conn: Connection, division: int, budget: Budget) -> None:
        values: dict[str, Any] = {f: getattr(budget, f) for f in _FIELDS}
        values.update(division=division, updated_at=self._clock())
        upsert = self._upsert_statement(schema.budgets, tuple(values), ("division",))
        self._direct(conn, upsert, values)
