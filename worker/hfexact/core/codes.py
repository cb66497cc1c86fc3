"""Debtor and creditor number masks: HostFact ``DB00001`` -> Exact account code ``1001``.

HostFact's export lets the operator type Exact's numbering as a mask such as ``1###``: every
``#`` (or the alternative spelling ``[0-9]``) is a digit place, every other character must be a
digit and is copied as it is. The number of a HostFact code (the digits it ends in) fills the
places from the right, so with ``1###`` ``DB00001`` becomes ``1001`` and ``DB0002`` ``1002``.

Decisions (HostFact's help shows only the happy path):

* A number with fewer digits than places is left-padded with zeros (``DB7`` -> ``1007``): the
  number is what counts, not how HostFact zero-pads it.
* A number whose *significant* digits do not fit the places is refused with a
  ``TranslationError`` (``DB1001`` under ``1###``). HostFact itself keeps only the last N digits,
  so ``DB1001`` and ``DB0001`` would both become ``1001`` and two debtors would share one Exact
  account; refusing up front names the problem before any booking lands on the wrong account.
* Two HostFact codes that map to the same Exact code (e.g. ``DB001`` and ``DB0001``) are a
  collision. That needs the bindings in the store, so the processor detects it; the message
  names both HostFact codes (``collision_message``).
* No mask (``None`` or empty): ``None``, Exact assigns the next free code.

Exact keeps account codes as 18-character strings, right-aligned with leading spaces; the
functions here return the bare code and ``exact_code_field`` gives the padded form that the
account payload carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hfexact.errors import TranslationError

#: Exact's account code width (crm/Accounts.Code)
CODE_WIDTH = 18

_TOKEN = re.compile(r"\[0-9\]|#|\d|.", re.S)
_TRAILING_NUMBER = re.compile(r"(\d+)\s*$")


@dataclass(frozen=True)
class CodeMask:
    """A parsed mask: literal digits and digit places, left to right."""

    text: str
    #: one entry per position: a digit string for a literal, ``None`` for a place
    parts: tuple[str | None, ...]

    @property
    def places(self) -> int:
        return sum(1 for p in self.parts if p is None)

    def fill(self, number: str) -> str:
        """Put ``number`` (exactly ``places`` digits) into the places, left to right."""
        digits = iter(number)
        return "".join(p if p is not None else next(digits) for p in self.parts)


def parse_mask(mask: str) -> CodeMask:
    """Parse ``1###`` / ``1[0-9][0-9]``; raise TranslationError for anything else."""
    text = mask.strip()
    parts: list[str | None] = []
    for token in _TOKEN.findall(text):
        if token in ("#", "[0-9]"):
            parts.append(None)
        elif token.isdigit():
            parts.append(token)
        else:
            raise TranslationError(
                f"account code mask {mask!r} may hold only digits, '#' and '[0-9]', "
                f"not {token!r}",
                hint="Exact account codes are numeric; fix the mask in the export settings",
            )
    if not any(p is None for p in parts):
        raise TranslationError(
            f"account code mask {mask!r} has no digit places ('#' or '[0-9]')",
            hint="e.g. 1### maps DB0001 to 1001",
        )
    if len(parts) > CODE_WIDTH:
        raise TranslationError(
            f"account code mask {mask!r} is longer than Exact's {CODE_WIDTH} characters"
        )
    return CodeMask(text=text, parts=tuple(parts))


def hostfact_number(hostfact_code: str) -> str:
    """The number a HostFact code ends in (``DB00001`` -> ``00001``)."""
    found = _TRAILING_NUMBER.search(hostfact_code)
    if found is None:
        raise TranslationError(
            f"HostFact code {hostfact_code!r} does not end in a number, so the account code "
            f"mask cannot be applied",
            hint="give the debtor/creditor a numbered code, or remove the mask",
        )
    return found.group(1)


def map_code(hostfact_code: str, mask: str | None) -> str | None:
    """The Exact account code for a HostFact debtor/creditor code, or None without a mask."""
    if mask is None or not mask.strip():
        return None
    parsed = parse_mask(mask)
    number = hostfact_number(hostfact_code)
    significant = number.lstrip("0")
    if len(significant) > parsed.places:
        last = number[-parsed.places :]
        raise TranslationError(
            f"HostFact code {hostfact_code!r} does not fit the account code mask {mask!r}: "
            f"its number {significant} has more digits than the mask's {parsed.places} "
            f"places; keeping only the last {parsed.places} would give "
            f"{parsed.fill(last)}, the code of another debtor such as "
            f"{_lookalike(hostfact_code, number, last)}",
            hint="widen the mask (more '#') or renumber the HostFact record",
        )
    return parsed.fill(significant.rjust(parsed.places, "0"))


def _lookalike(code: str, number: str, last: str) -> str:
    """``DB1001`` -> ``DB0001``: the HostFact code that owns the truncated number."""
    stripped = code.rstrip()
    head = stripped[: len(stripped) - len(number)]
    return head + last.rjust(len(number), "0")


def exact_code_field(code: str) -> str:
    """The 18-character, right-aligned form Exact stores in ``Account.Code``."""
    if len(code) > CODE_WIDTH:
        raise TranslationError(f"account code {code!r} is longer than {CODE_WIDTH} characters")
    return code.rjust(CODE_WIDTH)


def collision_message(
    kind: str, hostfact_code: str, exact_code: str, other_hostfact_code: str | None
) -> str:
    """Plain words for two HostFact records that map to the same Exact account code."""
    other = other_hostfact_code or "another record"
    return (
        f"{kind} {hostfact_code} maps to Exact account code {exact_code}, which is already "
        f"used by {kind} {other}: both HostFact codes end in the same digits under the mask"
    )
