"""Entry numbers: the journal's next free number per year, ``YY`` + journal code + sequence."""

from __future__ import annotations

from hfexact.sandbox.store import Record


def next_entry_number(existing: list[Record], journal: str, year: int) -> int:
    yy = year % 100
    if journal.isdigit():
        prefix = int(f"{yy:02d}{journal}") * 10_000
        used = [r["EntryNumber"] for r in existing
                if r.get("EntryNumber") and prefix < r["EntryNumber"] < prefix + 10_000]
        return max(used, default=prefix) + 1
    used = [r["EntryNumber"] for r in existing if r.get("EntryNumber")]
    return max(used, default=yy * 10_000) + 1


def number_in_use(existing: list[Record], number: int, exclude: str | None = None) -> bool:
    return any(r.get("EntryNumber") == number and r.get("EntryID") != exclude for r in existing)
