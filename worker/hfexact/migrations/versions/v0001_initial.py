"""The first store schema: tokens, connections, rate budgets, bindings, settings, cache,
cursors and activity.

Revision ID: v0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("client_id", sa.String(200), primary_key=True),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("issued_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "exact_connections",
        sa.Column("client_id", sa.String(200), primary_key=True),
        sa.Column("client_secret", sa.Text, nullable=True),
        sa.Column("division", sa.BigInteger, nullable=True),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "rate_budgets",
        sa.Column("division", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("minute_limit", sa.Integer, nullable=True),
        sa.Column("minute_remaining", sa.Integer, nullable=True),
        sa.Column("minute_reset_at", sa.Double, nullable=True),
        sa.Column("day_limit", sa.Integer, nullable=True),
        sa.Column("day_remaining", sa.Integer, nullable=True),
        sa.Column("day_reset_at", sa.Double, nullable=True),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "bindings",
        sa.Column("installation", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("hostfact_id", sa.String(64), primary_key=True),
        sa.Column("hostfact_code", sa.String(100), nullable=True),
        sa.Column("division", sa.BigInteger, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("exact_id", sa.String(64), nullable=True),
        sa.Column("exact_number", sa.String(64), nullable=True),
        sa.Column("exact_code", sa.String(64), nullable=True),
        sa.Column("version", sa.String(64), nullable=True),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_index("ix_bindings_exact_code", "bindings", ["installation", "kind", "exact_code"])
    op.create_index("ix_bindings_state", "bindings", ["installation", "kind", "state"])
    op.create_table(
        "export_settings",
        sa.Column("installation", sa.String(100), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("valid", sa.Boolean, nullable=True),
        sa.Column("problems", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "master_data_cache",
        sa.Column("division", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "cursors",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "activity",
        sa.Column("id", _AutoId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("hostfact_code", sa.String(100), nullable=True),
        sa.Column("exact_id", sa.String(64), nullable=True),
        sa.Column("duration_ms", sa.Double, nullable=True),
        sa.Column("at", sa.Double, nullable=False),
    )
    op.create_index(
        "ix_activity_type_outcome_at", "activity", ["event_type", "outcome", "at"]
    )


def downgrade() -> None:
    for index, table in (
        ("ix_activity_type_outcome_at", "activity"),
        ("ix_bindings_state", "bindings"),
        ("ix_bindings_exact_code", "bindings"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("activity", "cursors", "master_data_cache", "export_settings", "bindings",
                  "rate_budgets", "exact_connections", "tokens"):
        op.drop_table(table)
