"""Alembic migrations of the store; applied automatically by ``hfexact.store.open_store``."""
