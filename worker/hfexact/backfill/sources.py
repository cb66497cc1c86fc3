"""Where the planner's inputs come from: the PHP backfill's dry run and the store's budget."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hfexact.backfill.plan import DEFAULT_DAY_LIMIT, DEFAULT_MINUTE_LIMIT, TYPES, Limits
from hfexact.errors import ConfigError
from hfexact.store import Store
from hfexact.store.budget import roll

#: where the PHP backfill lives in a checkout (``--php-script`` names another)
DEFAULT_SCRIPT = Path("php-bridge/bin/backfill.php")


def counts_from_php(doc: Any, *, include_queued: bool = False) -> dict[str, int]:
    """Records waiting, per type, from ``backfill.php --dry-run --json``.

    ``queued`` are the records a backfill would queue now. ``already_queued`` rows are in the
    outbox already: published (then exported or on their way) or, after ``--no-publish``,
    still waiting; ``include_queued`` counts them too.
    """
    if not isinstance(doc, Mapping) or not isinstance(doc.get("types"), Mapping | list):
        raise ConfigError(["the PHP backfill's JSON has no 'types' object: run "
                           "backfill.php --since DATE --dry-run --json"])
    types = doc["types"] or {}
    counts: dict[str, int] = {}
    for kind in TYPES:
        entry = types.get(kind) if isinstance(types, Mapping) else None
        if entry is None:
            continue
        if not isinstance(entry, Mapping):
            raise ConfigError([f"the PHP backfill's JSON has no counts for {kind}"])
        try:
            value = int(entry.get("queued", 0))
            if include_queued:
                value += int(entry.get("already_queued", 0))
        except (TypeError, ValueError):
            raise ConfigError([f"the PHP backfill's counts for {kind} are not numbers"]) from None
        counts[kind] = value
    return counts


def load_php_json(path: str) -> Any:
    """The JSON document in ``path`` (``-`` reads standard input)."""
    import sys

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read {path}: {exc.strerror}"]) from None
    return parse_json(text, path)


def parse_json(text: str, where: str) -> Any:
    """The last JSON object in ``text`` (progress or notices may come before it)."""
    for line in reversed(text.strip().splitlines()):
        if line.strip().startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigError([f"{where} holds no JSON object"]) from None


def run_php_dry_run(since: str, *, php: str = "php", script: Path = DEFAULT_SCRIPT,
                    types: Sequence[str] | None = None, timeout: float = 600.0) -> Any:
    """Run ``php backfill.php --since DATE --dry-run --json`` and return its JSON."""
    if not script.is_file():
        raise ConfigError([f"no PHP backfill at {script}: pass --php-script, or run it on the "
                           f"HostFact server with --dry-run --json and pass --php-json FILE"])
    args = [php, str(script), "--since", since, "--dry-run", "--json"]
    if types:
        args += ["--types", ",".join(types)]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError([f"cannot run {php} {script}: {exc}"]) from None
    if done.returncode != 0:
        raise ConfigError([f"the PHP backfill's dry run failed (exit {done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-500:]}"])
    return parse_json(done.stdout, "the PHP backfill's output")


def limits_from_store(store: Store, division: int, now: float) -> Limits:
    """The division's limits and what is left today, as Exact's headers last reported them."""
    budget = store.get_budget(division)
    if budget is None:
        return Limits()
    budget = roll(budget, now)
    return Limits(
        minute_limit=budget.minute_limit or DEFAULT_MINUTE_LIMIT,
        day_limit=budget.day_limit or DEFAULT_DAY_LIMIT,
        day_remaining=budget.day_remaining,
        day_reset_at=budget.day_reset_at,
        known=budget.day_limit is not None or budget.minute_limit is not None,
    )


def code_masks(store: Store, installation: str) -> tuple[bool, bool] | None:
    """(debtor mask set, creditor mask set) from the installation's stored export settings."""
    stored = store.load_settings(installation)
    if stored is None:
        return None
    data = stored.data
    return (bool(str(data.get("debtor_code_mask") or "").strip()),
            bool(str(data.get("creditor_code_mask") or "").strip()))
