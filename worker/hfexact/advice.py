"""What to do about an event that failed: plain English, with Exact's own words passed through.

Pure: :func:`advise` takes the facts a dead letter carries (its error kind, the reason, the
messages, and where known the division and the HostFact code) and returns an :class:`Advice`:
one sentence naming the problem, the next step, and Exact's message exactly as Exact wrote it
(often Dutch: ``Ongeldige referentie: Btw-code``). ``hfexact dlq list/show`` print it, and the
processor uses it for the reason of ``export.failed`` when Exact refused a booking.

Exact's validation texts follow ``<Kind>: <field label>`` in the user's language (reference
§4.3): ``Verplicht``/``Mandatory``, ``Ongeldige referentie``/``Invalid reference``,
``Ongeldig``/``Invalid``, ``Bestaat reeds``, ``In gebruik: Boekstuknummer``. Rules are tried
in order; the first that matches gives the advice, and anything unknown still gets a sensible
next step and Exact's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

REPLAY = "then `hfexact dlq replay {id}`"
PURGE = "`hfexact dlq purge {id}`"


@dataclass(frozen=True)
class Facts:
    """What is known about one failure (a dead letter, or the error itself)."""

    kind: str
    reason: str = ""
    messages: Any = None
    letter_id: str | None = None
    division: int | None = None
    hostfact_code: str | None = None
    event_type: str | None = None

    @property
    def exact_message(self) -> str:
        if isinstance(self.messages, Mapping):
            text = self.messages.get("exact_message")
            if isinstance(text, str):
                return text
        return ""

    @property
    def record(self) -> str:
        """The record in words: ``invoice F0042``, ``debtor DB0001`` or ``the record``."""
        noun = RECORD_NOUNS.get((self.event_type or "").split(".")[0], "record")
        return f"{noun} {self.hostfact_code}" if self.hostfact_code else f"the {noun}"

    @property
    def where(self) -> str:
        return f"division {self.division}" if self.division is not None else "the Exact division"


@dataclass(frozen=True)
class Advice:
    """The problem in one sentence, what to do next, and Exact's text untouched."""

    problem: str
    action: str
    exact_message: str = ""
    #: the last step: replay (after the fix), or purge (nothing left to book)
    finish: str = REPLAY

    def next_step(self, letter_id: str | None = None) -> str:
        """The action with the closing command, e.g. ``..., then `hfexact dlq replay ID```."""
        step = f"{self.action}, {self.finish}" if self.finish else self.action
        return step.replace("{id}", letter_id or "<id>")

    def text(self, letter_id: str | None = None) -> str:
        """``<problem>: <next step>`` plus ``Exact said: "..."`` when Exact said something."""
        out = f"{self.problem}: {self.next_step(letter_id)}"
        if self.exact_message:
            out += f'\nExact said: "{self.exact_message}"'
        return out


RECORD_NOUNS = {
    "invoice": "invoice", "debtor": "debtor", "creditor": "creditor",
    "purchase_invoice": "purchase invoice", "sdd_batch": "direct-debit batch",
    "sdd": "direct-debit reversal", "settings": "export settings",
}

#: Exact's field labels (Dutch and English) -> (what it is, where the operator fixes it)
FIELDS: tuple[tuple[str, str, str], ...] = (
    (r"journals?|dagboek|diary", "journal",
     "the journal codes on the bridge's settings page"),
    (r"btw[- ]?code|vat ?code|btw code", "VAT code",
     "the VAT codes per rate on the bridge's settings page"),
    (r"betalingsconditie|payment ?condition", "payment condition",
     "the direct-debit payment condition on the settings page, or a default payment "
     "condition in Exact"),
    (r"grootboek\w*|gl ?account|ledger ?account", "GL account",
     "the GL account mapping on the bridge's settings page"),
    (r"leverancier|supplier|crediteur", "supplier account",
     "the creditor in HostFact (it is exported before its purchase invoices)"),
    (r"klant|customer|relatie|relationship|account|factuur voor|besteld door|debiteur",
     "customer account", "the debtor in HostFact (it is exported with its invoices)"),
    (r"valuta|currency", "currency", "the currency of the record in HostFact"),
    (r"land|country", "country", "the country of the debtor or creditor in HostFact"),
    (r"naam|name", "name", "the name of the debtor or creditor in HostFact"),
)


def _field(label: str) -> tuple[str, str]:
    for pattern, thing, where in FIELDS:
        if re.search(rf"\b(?:{pattern})\b", label, re.I):
            return thing, where
    return label.strip() or "a value", "the record in HostFact or the bridge's settings page"


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], Facts], Advice]]


def _wrong_gl_type(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        f"a GL account in the mapping has the wrong type for {f.record} (a receivables, "
        f"payables or VAT account where a revenue or cost account belongs)",
        "choose profit-and-loss accounts in the GL account mapping on the bridge's settings page",
        f.exact_message)


def _entry_number_in_use(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        f"Exact already has an entry with this entry number in the journal of {f.where}",
        f"look in Exact whether {f.record} is booked already (by HostFact's own Exact export "
        f"or by hand): if it is, remove this letter with {PURGE}; if not, free the number in "
        f"Exact",
        f.exact_message)


def _exists(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        f"Exact already holds a record with the key of {f.record} (for an account: its code)",
        "if it is the same relation, remove the account's duplicate in Exact or give it "
        "another code; if it is another relation, widen the code mask on the settings page",
        f.exact_message)


def _vat_not_allowed(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        f"the VAT code of {f.record} is not allowed in this journal of {f.where}",
        "map the rate to a VAT code of the right kind (sales or purchase) on the settings page",
        f.exact_message)


def _vat_percentage(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        f"the VAT code's percentage in Exact differs from HostFact's rate on {f.record}",
        "map the rate to a VAT code with the same percentage on the settings page",
        f.exact_message)


def _blocked_gl(m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        f"GL account {m.group(1)} is blocked in {f.where}",
        "unblock it in Exact or map another account on the settings page", f.exact_message)


def _period_closed(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        f"the financial period of {f.record} is closed in {f.where}",
        "ask your accountant to reopen the period in Exact (or book it by hand in an open "
        "period and remove this letter)", f.exact_message)


def _processed(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        f"Exact has processed the entry of {f.record} already, so the bridge may not change it",
        "correct it in Exact by hand (e.g. with a credit entry); nothing is left to book: "
        f"remove this letter with {PURGE}", f.exact_message, finish="")


def _unknown_reference(m: re.Match[str], f: Facts) -> Advice:
    thing, where = _field(m.group("label"))
    return Advice(
        f"Exact does not know the {thing} {f.record} refers to in {f.where}",
        f"check {where} and that the {thing} exists in Exact", f.exact_message)


def _mandatory(m: re.Match[str], f: Facts) -> Advice:
    thing, where = _field(m.group("label"))
    return Advice(f"Exact requires a {thing} for {f.record} and got none",
                  f"fill in {where}", f.exact_message)


def _invalid(m: re.Match[str], f: Facts) -> Advice:
    thing, where = _field(m.group("label"))
    return Advice(f"Exact finds the {thing} of {f.record} invalid",
                  f"check {where}", f.exact_message)


def _guid(_m: re.Match[str], f: Facts) -> Advice:
    return _bug(f, "the bridge sent Exact a malformed reference")


def _division_access(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        f"the Exact user the bridge logged in as has no access to {f.where}",
        "give that user rights to the division in Exact, or log in as a user who has them with "
        f"`hfexact auth login --division {f.division or '<division>'}`", f.exact_message)


def _scope(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(
        "the app registered in Exact's App Center lacks a permission (scope) this call needs",
        "give the app the financial read and write scopes in the App Center, then run "
        "`hfexact auth login` again", f.exact_message)


def _blocked_account(m: re.Match[str], f: Facts) -> Advice:
    return Advice(f"Exact blocks the connection ({m.group(0)})",
                  "sort out the user, licence or division in Exact", f.exact_message)


EXACT_RULES: tuple[Rule, ...] = tuple((re.compile(p, re.I), fn) for p, fn in (
    (r"grootboekrekeningtype|gl ?account type", _wrong_gl_type),
    (r"in gebruik:\s*boekstuknummer|boekstuknummer in gebruik|entry ?number.*in use",
     _entry_number_in_use),
    (r"bestaat reeds|already exists", _exists),
    (r"niet toegestaan:\s*btw|vat code.*not allowed", _vat_not_allowed),
    (r"btw-percentage|vat percentage", _vat_percentage),
    (r"blocked:\s*ledger account:\s*([^\s-]+)", _blocked_gl),
    (r"periode is afgesloten|period is closed|closed period", _period_closed),
    (r"reeds verwerkt|already processed", _processed),
    (r"niet herkende guid", _guid),
    (r"(?:ongeldige referentie|invalid reference|ongeldige ref\.?)\s*:?\s*(?P<label>[^\r\n]*)",
     _unknown_reference),
    (r"(?:verplicht|mandatory|ontbrekend|missing)\s*:\s*(?P<label>[^\r\n]*)", _mandatory),
    (r"(?:ongeldig|invalid)\s*:\s*(?P<label>[^\r\n]*)", _invalid),
    (r"nodivisionaccess|wrongdivision|not within division scope", _division_access),
    (r"scope violated", _scope),
    (r"blockeduser|inactiveuser|blockedcustomer|licenseexpired|divisionblocked",
     _blocked_account),
))


def _missing_gl(m: re.Match[str], f: Facts) -> Advice:
    code, purpose = m.group(1), m.group(2)
    mapping = {"revenue": "the revenue mapping (default or per product group)",
               "purchase costs": "the purchase mapping (default or per creditor group)"}.get(
        purpose, f"the {purpose}")
    return Advice(f"GL account {code} does not exist in {f.where}",
                  f"add it in Exact or change {mapping} on the settings page")


def _collision(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(_first_sentence(f.reason),
                  "widen the code mask on the settings page (more '#') or renumber one of "
                  "them in HostFact")


def _account_taken(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(_first_sentence(f.reason),
                  "widen the code mask on the settings page, or change or remove that "
                  "account in Exact")


def _concept(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(_first_sentence(f.reason),
                  "nothing to do: the invoice is exported when it is sent; remove this letter "
                  f"with {PURGE}", finish="")


def _vat_mapping(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(_first_sentence(f.reason), "add the rate to the VAT codes on the settings page")


def _no_division(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(_first_sentence(f.reason),
                  "set HFEXACT_EXACT_DIVISION (or map the installation under [divisions] in the "
                  "config file) and restart the worker")


def _amounts(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(_first_sentence(f.reason),
                  f"correct the lines and totals of {f.record} in HostFact")


def _entry_gone(_m: re.Match[str], f: Facts) -> Advice:
    return Advice(_first_sentence(f.reason),
                  "book the change by hand in Exact; nothing is left for the bridge to do: "
                  f"remove this letter with {PURGE}", finish="")


TRANSLATION_RULES: tuple[Rule, ...] = tuple((re.compile(p, re.I), fn) for p, fn in (
    (r"GL account (\S+) \((.+?)\) does not exist", _missing_gl),
    (r"already used by .* same digits under the mask|does not fit the account code mask",
     _collision),
    (r"maps to Exact account code \S+, but that account already exists", _account_taken),
    (r"is a concept and is never exported", _concept),
    (r"no (?:purchase )?VAT codes? configured", _vat_mapping),
    (r"has no Exact division configured", _no_division),
    (r"add(?:s)? up to|AmountIncl|positive total|has no lines|VAT on the 0% lines", _amounts),
    (r"no\s+longer exists, so the change cannot be applied", _entry_gone),
))


def _first_sentence(text: str) -> str:
    """The message part of ``str(error)`` (without the ``(hint)``), on one line."""
    text = " ".join(text.split())
    return re.sub(r"\s*\([^()]*\)$", "", text) or "the event could not be booked"


def _match(rules: tuple[Rule, ...], text: str, facts: Facts) -> Advice | None:
    for pattern, make in rules:
        m = pattern.search(text)
        if m is not None:
            return make(m, facts)
    return None


def _exact(f: Facts) -> Advice:
    said = f.exact_message or f.reason
    found = _match(EXACT_RULES, said, f)
    if found is not None:
        return found
    status = f.messages.get("status") if isinstance(f.messages, Mapping) else None
    return Advice(f"Exact refused {f.record} in {f.where}"
                  + (f" (HTTP {status})" if status else ""),
                  "read Exact's message, fix the record in HostFact or the setting it names",
                  f.exact_message)


def _bug(f: Facts, what: str) -> Advice:
    return Advice(
        f"{what} while handling {f.record}",
        f"this is a bug: report it with the output of `hfexact dlq show {f.letter_id or '<id>'} "
        f"--body`; replay it once a fixed version is installed", finish="")


def _contract(f: Facts) -> Advice:
    fields = _field_list(f.messages)
    return Advice(
        f"the event about {f.record} does not match the contract"
        + (f" ({fields})" if fields else ""),
        "correct the record in HostFact (or update php-bridge if HostFact's data is right) and "
        "send it again, e.g. by saving the record; this letter can then be removed with "
        f"{PURGE}", finish="")


def _field_list(messages: Any, limit: int = 3) -> str:
    if not isinstance(messages, Mapping):
        return ""
    flat: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            flat.append(f"{prefix}: {value[0]}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                walk(f"{prefix}[{i}]", inner)
        elif isinstance(value, str):
            flat.append(f"{prefix}: {value}")

    walk("", messages)
    more = f"; and {len(flat) - limit} more" if len(flat) > limit else ""
    return "; ".join(flat[:limit]) + more


def _waiting(f: Facts) -> Advice:
    text = _first_sentence(f.reason)
    if "settings" in text:
        return Advice(text, "save export settings on the bridge's settings page until it "
                            "shows them as valid (`hfexact status` shows it too)")
    return Advice(text, "export what it waits for first (see `hfexact dlq list` for its own "
                        "letter)")


def _transient(f: Facts) -> Advice:
    return Advice(
        _first_sentence(f.reason),
        "check that Exact and RabbitMQ are reachable (`hfexact status`); the cause was "
        "temporary, so replaying is enough once they are")


def _broker(f: Facts) -> Advice:
    return Advice(
        "the worker was stopped or crashed on this event over and over (the broker gave up "
        "redelivering it)",
        "read the worker's log around the letter's time (`journalctl -u 'hfexact-worker@*'`), "
        "fix the cause (memory, a crash)")


def advise(facts: Facts) -> Advice:
    """The advice for one failure; never raises, whatever the facts hold."""
    kind = facts.kind
    if kind == "exact_rejected":
        return _exact(facts)
    if kind == "translation":
        found = _match(TRANSLATION_RULES, facts.reason, facts)
        return found or Advice(_first_sentence(facts.reason),
                               _hint(facts.reason) or "fix the record in HostFact or the "
                               "export settings")
    if kind == "contract":
        return _contract(facts)
    if kind == "crash":
        return _bug(facts, "the worker hit an unexpected error")
    if kind == "waiting":
        return _waiting(facts)
    if kind in ("transient", "rate_limited"):
        return _transient(facts)
    if kind == "auth_lost":
        return Advice("the Exact connection needs a person", "run `hfexact auth login`")
    if kind in ("delivery_limit", "rejected", "expired", "maxlen"):
        return _broker(facts)
    return Advice(_first_sentence(facts.reason) if facts.reason else f"the event failed ({kind})",
                  _hint(facts.reason) or "read the reason with `hfexact dlq show`; fix the cause")


def _hint(reason: str) -> str:
    m = re.search(r"\(([^()]*)\)\s*$", reason.strip())
    return m.group(1) if m else ""


def division_from_endpoint(endpoint: str) -> int | None:
    """``POST 123456/salesentry/SalesEntries`` -> 123456 (None for ``current/Me`` etc.)."""
    m = re.match(r"^\s*[A-Z]+\s+(\d+)/", endpoint or "")
    return int(m.group(1)) if m else None


def for_error(error: Any, *, division: int | None = None, hostfact_code: str | None = None,
              event_type: str | None = None, letter_id: str | None = None) -> Advice:
    """Advice for a bridge error object (``BridgeError``), as the processor holds it."""
    messages: Any = {}
    if getattr(error, "exact_message", None) is not None:
        messages = {"status": getattr(error, "status", None),
                    "endpoint": getattr(error, "endpoint", ""),
                    "exact_message": error.exact_message}
        division = division or division_from_endpoint(getattr(error, "endpoint", ""))
    elif getattr(error, "messages", None) is not None:
        messages = error.messages
    return advise(Facts(kind=str(getattr(error, "kind", "error")), reason=str(error),
                        messages=messages, letter_id=letter_id, division=division,
                        hostfact_code=hostfact_code, event_type=event_type))


# -- errors a command ends with ----------------------------------------------------------------

CREDENTIALS = (
    "Exact refused the app's credentials ({said}): check HFEXACT_EXACT_CLIENT_ID and "
    "HFEXACT_EXACT_CLIENT_SECRET against the app in Exact's App Center, then run "
    "`hfexact auth login`")


def explain(error: Any) -> str:
    """The one sentence a command prints when it ends with a bridge error: what is wrong and
    the next step. Configuration errors keep their list of every problem."""
    message = str(getattr(error, "message", "") or error)
    kind = getattr(error, "kind", "")
    if kind == "auth_lost":
        bare = re.search(r"\(HTTP (?:400|401)\): (invalid_request|invalid_client)$", message)
        if bare:  # Exact answers a wrong client id or secret with a bare invalid_request
            return CREDENTIALS.format(said=f"{bare.group(1)}")
        return f"{message}: run `hfexact auth login` to connect Exact Online again"
    hint = getattr(error, "hint", None)
    return f"{message}; {hint}" if hint and kind != "config" else str(error)
