"""No token, secret, IBAN or e-mail address in any log line the bridge wrote.

Every process a reliability scenario starts writes its output into the rig's log directory;
``assert_logs_clean`` reads all of it (worker JSON logs, CLI output, relay output) and looks for:

- the OAuth client secret and the Fernet key of the store (exact strings, known to the test);
- the tokens currently in the store (exact strings) and anything shaped like the sandbox's
  access tokens (``gAAAAAB…``), refresh tokens (``yIA2!IAAA…``) or authorization codes
  (``stampNL001.…``), so rotated tokens no longer in the store are caught too;
- IBANs of the workload and anything IBAN-shaped; e-mail addresses.

``LINES_SCANNED`` counts what was read, for the report.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.reliability.workload import IBANS

if TYPE_CHECKING:
    from tests.reliability.harness import Rig

TOKEN_SHAPES = re.compile(r"gAAAAAB[\w-]{20,}|yIA2!IAAA[\w-]{8,}|stampNL001\.[\w-]{8,}")
IBAN_SHAPE = re.compile(r"\b[A-Z]{2}\d{2}[A-Z]{4}\d{7,}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
LINES_SCANNED = {"files": 0, "lines": 0}


def secrets_of(rig: Rig) -> list[str]:
    values = [rig.client_secret, rig.secret_key]
    store = rig.open_store()
    try:
        from tests.reliability.harness import CLIENT_ID

        tokens = store.load_tokens(CLIENT_ID)
        if tokens is not None:
            values += [tokens.access_token, tokens.refresh_token]
    except Exception:  # noqa: BLE001, S110 - a store left unusable by a scenario has no tokens
        pass
    finally:
        store.close()
    return [v for v in values if v]


def problems_in(text: str, exact: list[str]) -> list[str]:
    found: list[str] = []
    for value in exact:
        if value in text:
            found.append(f"secret {value[:6]}…")
    for pattern, what in ((TOKEN_SHAPES, "token"), (IBAN_SHAPE, "IBAN"), (EMAIL, "e-mail")):
        for match in pattern.finditer(text):
            found.append(f"{what} {match.group(0)[:12]}…")
    found += [f"IBAN {iban[:6]}…" for iban in IBANS if iban in text]
    return found


def assert_logs_clean(rig: Rig) -> None:
    exact = secrets_of(rig)
    problems: list[str] = []
    for path in sorted(rig.log_dir.glob("*.log")):
        text = path.read_text(encoding="utf-8", errors="replace")
        LINES_SCANNED["files"] += 1
        LINES_SCANNED["lines"] += text.count("\n")
        for number, line in enumerate(text.splitlines(), 1):
            for problem in problems_in(line, exact):
                problems.append(f"{path.name}:{number}: {problem}")
    assert not problems, "sensitive data in logs:\n" + "\n".join(problems[:30])
