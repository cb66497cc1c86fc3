"""``hfexact validate FILE...``: check message files against the contract.

Prints ``FILE: ok`` or ``FILE: invalid`` followed by one ``  field.path: message`` line per
problem; exits 1 when any file is invalid. A file over the size limit is reported without being
read whole. The messages are the marshmallow schemas' (the ones the worker applies); the JSON
Schemas in ``schemas/`` are checked as well and reported if they alone object.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from hfexact.contract import jsonschema_check
from hfexact.contract.parse import MAX_BYTES, parse_event
from hfexact.errors import ContractError


def flatten(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """``{"data": {"Lines": {"0": {"Number": ["bad"]}}}}`` -> ``("data.Lines.0.Number", "bad")``."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from flatten(item, prefix)
    else:
        yield (prefix or "_schema", str(messages))


def check_file(path: Path, *, max_bytes: int = MAX_BYTES) -> list[tuple[str, str]]:
    """The problems of one file; empty when it satisfies the contract."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return [("_schema", f"File is {size} bytes; the limit is {max_bytes} bytes.")]
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as exc:
        return [("_file", f"Cannot read: {exc.strerror or exc}")]
    try:
        parse_event(body, max_bytes=max_bytes)
    except ContractError as exc:
        return list(flatten(exc.messages))
    if jsonschema_check.schemas_dir().is_dir():
        errors = jsonschema_check.check_bytes(body, max_bytes=max_bytes)
        return [(field, f"(JSON Schema) {message}") for field, message in flatten(errors)]
    return []


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def validate_cmd(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Check event and result files against the contract (schemas/)."""
    invalid = 0
    for path in files:
        problems = check_file(path)
        if not problems:
            click.echo(f"{path}: ok")
            continue
        invalid += 1
        click.echo(f"{path}: invalid")
        for field, message in problems:
            click.echo(f"  {field}: {message}")
    if invalid:
        ctx.exit(1)
