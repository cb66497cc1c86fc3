"""The example files in schemas/examples, for the contract tests."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
VALID = sorted((EXAMPLES / "valid").glob("*/*.json"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.json"))


def example_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def example(kind: str, name: str) -> bytes:
    return (EXAMPLES / "valid" / kind / f"{name}.json").read_bytes()


def invalid(name: str) -> bytes:
    return (EXAMPLES / "invalid" / f"{name}.json").read_bytes()
