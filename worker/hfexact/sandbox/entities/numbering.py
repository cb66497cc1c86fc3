"""Entry numbers: the journal's next free number per year, ``YY`` + journal code + sequence."""

from __future__ import annotations

from hfexact.sandbox.store import Record, Table


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


def next_number_in(table: Table, journal_field: str, journal: str, year: int) -> int:
    """``next_entry_number`` over a table's entries of one journal, kept incrementally: the
    highest number per (journal, year prefix) is remembered with how far the table's insert
    order was read, so a POST reads only what was inserted since (a delete or an in-place
    change of a number starts over)."""
    yy = year % 100
    prefix = int(f"{yy:02d}{journal}") * 10_000 if journal.isdigit() else None
    memo_key = ("max_number", journal_field, journal, prefix)
    memo: tuple[int, int, int | None] | None = table.memo.get(memo_key)
    if memo is None or memo[0] != table.generation:
        memo = (table.generation, 0, None)
    generation, position, highest = memo
    for key in table.order[position:]:
        record = table.rows.get(key)
        if record is None or record.get(journal_field) != journal:
            continue
        number = record.get("EntryNumber")
        if not number or (prefix is not None and not prefix < number < prefix + 10_000):
            continue
        highest = number if highest is None else max(highest, number)
    table.memo[memo_key] = (generation, len(table.order), highest)
    if highest is not None:
        return int(highest) + 1
    return (prefix if prefix is not None else yy * 10_000) + 1
