"""The store's tables as SQLAlchemy Core objects (what queries use).

The migrations in ``hfexact/migrations/versions`` create exactly these; a store contract test
compares the migrated database with this metadata so the two cannot drift apart.
Times are epoch seconds (double precision); JSON documents are text.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: SQLite only auto-increments an ``INTEGER PRIMARY KEY``
AutoId = BigInteger().with_variant(Integer(), "sqlite")

tokens = Table(
    "tokens",
    metadata,
    Column("client_id", String(200), primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("issued_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)

connections = Table(
    "exact_connections",
    metadata,
    Column("client_id", String(200), primary_key=True),
    Column("client_secret", Text, nullable=True),
    Column("division", BigInteger, nullable=True),
    Column("updated_at", Double, nullable=False),
)

budgets = Table(
    "rate_budgets",
    metadata,
    Column("division", BigInteger, primary_key=True, autoincrement=False),
    Column("minute_limit", Integer, nullable=True),
    Column("minute_remaining", Integer, nullable=True),
    Column("minute_reset_at", Double, nullable=True),
    Column("day_limit", Integer, nullable=True),
    Column("day_remaining", Integer, nullable=True),
    Column("day_reset_at", Double, nullable=True),
    Column("updated_at", Double, nullable=False),
)

bindings = Table(
    "bindings",
    metadata,
    Column("installation", String(100), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("hostfact_id", String(64), primary_key=True),
    Column("hostfact_code", String(100), nullable=True),
    Column("division", BigInteger, nullable=True),
    Column("state", String(16), nullable=False),
    Column("exact_id", String(64), nullable=True),
    Column("exact_number", String(64), nullable=True),
    Column("exact_code", String(64), nullable=True),
    Column("version", String(64), nullable=True),
    Column("details", Text, nullable=False),
    Column("event_id", String(64), nullable=True),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    Index("ix_bindings_exact_code", "installation", "kind", "exact_code"),
    Index("ix_bindings_state", "installation", "kind", "state"),
)

export_settings = Table(
    "export_settings",
    metadata,
    Column("installation", String(100), primary_key=True),
    Column("data", Text, nullable=False),
    Column("version", String(64), nullable=False),
    Column("valid", Boolean, nullable=True),
    Column("problems", Text, nullable=False),
    Column("updated_at", Double, nullable=False),
)

cache = Table(
    "master_data_cache",
    metadata,
    Column("division", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", Double, nullable=False),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", Double, nullable=False),
)

activity = Table(
    "activity",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=True),
    Column("event_type", String(64), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("hostfact_code", String(100), nullable=True),
    Column("exact_id", String(64), nullable=True),
    Column("duration_ms", Double, nullable=True),
    Column("at", Double, nullable=False),
    Index("ix_activity_type_outcome_at", "event_type", "outcome", "at"),
)
