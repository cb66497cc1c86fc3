"""The Python field patterns are the schemas' patterns, and formats are really enforced."""

from __future__ import annotations

import json

import pytest

from hfexact.contract.fields import PATTERNS
from hfexact.contract.jsonschema_check import FORMAT_CHECKER, registry, schemas_dir, validator_for


def _defs(name: str) -> dict[str, dict[str, object]]:
    doc = json.loads((schemas_dir() / "defs" / name).read_text(encoding="utf-8"))
    defs: dict[str, dict[str, object]] = doc["$defs"]
    return defs


class TestPatternsMatchSchemas:
    def test_common_patterns_are_identical(self) -> None:
        """Every pattern in common.schema.json is the one the marshmallow fields use."""
        checked = 0
        for name, definition in _defs("common.schema.json").items():
            if "pattern" in definition:
                assert PATTERNS[name][0] == definition["pattern"], name
                checked += 1
        assert checked >= 15

    def test_other_schema_patterns_are_identical(self) -> None:
        """Batch ids, Exact codes and code masks use the same patterns in both."""
        sdd = _defs("sdd.schema.json")
        assert PATTERNS["batch_id"][0] == sdd["batch_id"]["pattern"]
        invoice = _defs("invoices.schema.json")["invoice"]["properties"]
        assert PATTERNS["optional_batch_id"][0] == invoice["SDDBatchID"]["pattern"]  # type: ignore[index]
        settings = _defs("settings.schema.json")
        assert PATTERNS["exact_code"][0] == settings["exact_code"]["pattern"]
        mask = settings["export_settings"]["properties"]["debtor_code_mask"]  # type: ignore[index]
        assert PATTERNS["code_mask"][0] == mask["pattern"]


class TestFormatsEnforced:
    @pytest.mark.parametrize(
        ("fmt", "good", "bad"),
        [
            ("date", "2028-02-29", "2026-02-29"),
            ("uuid", "0b8f6d2e-4c1e-4f57-9a63-2d1f0c6a9e11", "0b8f6d2e4c1e4f579a632d1f0c6a9e11"),
            ("date-time", "2026-11-28T15:04:05+01:00", "2026-11-31T15:04:05+01:00"),
            ("date-time", "2026-11-28T15:04:05Z", "2026-11-28T15:04:05"),
            ("local-date-time", "2026-11-28 15:04:05", "2026-02-30 15:04:05"),
        ],
    )
    def test_format_checker_rejects_bad_values(self, fmt: str, good: str, bad: str) -> None:
        """Formats are checked by the checker itself, not only by the patterns next to them."""
        assert FORMAT_CHECKER.conforms(good, fmt)
        assert not FORMAT_CHECKER.conforms(bad, fmt)

    def test_json_float_is_not_an_integer(self) -> None:
        """``version: 1.0`` is rejected: the contract has no floats, not even whole ones."""
        errors = list(validator_for(None).iter_errors({"version": 1.0}))
        assert any(list(e.absolute_path) == ["version"] for e in errors)

    def test_registry_holds_every_schema_file(self) -> None:
        """All schema files resolve locally by their $id (no network)."""
        files = list(schemas_dir().rglob("*.schema.json"))
        for path in files:
            uri = json.loads(path.read_text(encoding="utf-8"))["$id"]
            assert registry().contents(uri)
        assert len(files) == 1 + 15 + 7
