"""``settings.changed``: store, check against Exact, answer ``settings.validated``.

The settings are stored first (so an operator's change is never lost), then the division's
master data is read (GL accounts, journals, VAT codes, payment conditions), the check lists
every problem, the GL GUIDs are cached for the translations to come, and the result is
recorded against this settings version. Events that need settings wait until a version is
valid. An older ``settings.changed`` arriving after a newer one is ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from hfexact.contract.domain import ExportSettings
from hfexact.contract.marshmallow_schemas import ExportSettingsSchema
from hfexact.core.settings_check import check_settings
from hfexact.errors import TranslationError
from hfexact.handlers.context import Context
from hfexact.handlers.master import cache_master_data, fetch_master_data
from hfexact.handlers.results import settings_validated
from hfexact.processing_types import Outcome
from hfexact.store import StoredSettings

#: bookkeeping keys kept next to the operator's settings in the store (never sent anywhere)
META_OCCURRED = "_occurred_at"


def export_settings_from(data: Mapping[str, Any]) -> ExportSettings:
    """The typed settings from what the store holds (the ``settings.changed`` data)."""
    clean = {k: v for k, v in data.items() if not str(k).startswith("_")}
    loaded = ExportSettingsSchema().load(clean)
    if not isinstance(loaded, ExportSettings):
        raise TranslationError("stored export settings could not be read back")
    return loaded


def _occurred(stored: StoredSettings) -> str:
    return str(stored.data.get(META_OCCURRED) or "")


def settings_changed(ctx: Context, export: ExportSettings) -> Outcome:
    env = ctx.env
    occurred = env.occurred_at.astimezone(dt.UTC).isoformat()
    stored = ctx.store.load_settings(ctx.installation)
    if stored is not None and stored.version == env.id and stored.valid is not None:
        return Outcome(status="duplicate", event_type=env.type, hostfact_code=None,
                       details={"valid": stored.valid, "problems": list(stored.problems)},
                       results=(_result(ctx, env.id, list(stored.problems)),))
    if stored is not None and stored.version != env.id and _occurred(stored) > occurred:
        return Outcome(status="ignored", event_type=env.type,
                       details={"settings": "older than the stored version",
                                "stored_version": stored.version})
    data = dict(env.raw.get("data") or {})
    data[META_OCCURRED] = occurred
    ctx.store.save_settings(ctx.installation, data, version=env.id)
    master = fetch_master_data(ctx)
    problems = check_settings(export, master)
    cache_master_data(ctx, master)
    ctx.store.mark_settings_validated(ctx.installation, env.id, not problems, problems)
    return Outcome(status="done", event_type=env.type, hostfact_code=None,
                   details={"valid": not problems, "problems": problems},
                   results=(_result(ctx, env.id, problems),))


def _result(ctx: Context, version: str, problems: list[str]) -> Any:
    return settings_validated(installation=ctx.installation, version=version, problems=problems,
                              occurred_at=ctx.now())
