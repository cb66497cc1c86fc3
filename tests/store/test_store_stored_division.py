"""The division `hfexact auth login --division` stored is used when the settings name none."""

from __future__ import annotations

from pathlib import Path

from hfexact.config import Settings
from hfexact.store import open_store, with_stored_division


def settings(tmp_path: Path, **over: object) -> Settings:
    values: dict[str, object] = {"exact_client_id": "demo",
                                 "store_url": f"sqlite:///{tmp_path / 'store.sqlite3'}"}
    values.update(over)
    return Settings(**values)  # type: ignore[arg-type]


def remember(tmp_path: Path, division: int) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        store.set_division("demo", division)
    finally:
        store.close()


def test_stored_division_fills_the_gap(tmp_path: Path) -> None:
    remember(tmp_path, 123456)
    filled = with_stored_division(settings(tmp_path))
    assert filled.exact_division == 123456
    assert filled.division_for("hf-main") == 123456


def test_the_environment_and_the_mapping_win(tmp_path: Path) -> None:
    remember(tmp_path, 123456)
    assert with_stored_division(settings(tmp_path, exact_division=999)).exact_division == 999
    mapped = with_stored_division(settings(tmp_path, divisions={"hf-main": 555}))
    assert mapped.exact_division is None
    assert mapped.division_for("hf-main") == 555


def test_nothing_stored_changes_nothing(tmp_path: Path) -> None:
    plain = settings(tmp_path)
    assert with_stored_division(plain) is plain
