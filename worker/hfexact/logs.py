"""Structured logging: configured once at the entry point; secrets and personal data never leave.

Console rendering on a terminal, JSON otherwise. A processor masks tokens, secrets, IBANs,
e-mail addresses and phone numbers wherever they appear, in keys or inside strings.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

SECRET_KEYS = re.compile(
    r"(secret|token|password|authorization|api_key|refresh|access|fernet|code_verifier)", re.I
)
PERSONAL_KEYS = re.compile(
    r"^(email|emailaddress|invoiceemailaddress|reminderemailaddress|phone|phonenumber|"
    r"mobilenumber|faxnumber|accountnumber|iban|accountbic|bankaccount)$",
    re.I,
)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){10,30}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(
    r"(?<![\w/.-])(?:(?:\+|00)\d{1,3}[ -]?(?:\d[ -]?){6,12}\d|0\d{1,3}[ -]?\d{6,8})(?![\w/.-])"
)
BEARER = re.compile(r"(?i)(bearer\s+)[\w\-.~+/!=]+")
URL_SECRET = re.compile(r"(?i)((?:access_token|refresh_token|client_secret|code)=)[^&\s\"']+")
URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


#: a UUID (event and Exact ids) holds nothing any pattern above masks
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DIGIT = re.compile(r"\d")


def _nothing_to_mask(text: str) -> bool:
    """True when no pattern of ``redact_text`` can match: e-mail and URL credentials need an "@"
    or "=", IBANs and phone numbers a digit, a bearer token the word. Most logged values are
    ids and names; this spares them six regex scans (a log line cost 256 us, 196 of them here)."""
    if _UUID.fullmatch(text) is not None:
        return True
    return ("@" not in text and "=" not in text and _DIGIT.search(text) is None
            and "bearer" not in text.lower())


def redact_text(text: str) -> str:
    """Mask what looks like a credential or personal data inside free text."""
    if _nothing_to_mask(text):
        return text
    return _redact_all(text)


def _redact_all(text: str) -> str:
    text = BEARER.sub(r"\1***", text)
    text = URL_SECRET.sub(r"\1***", text)
    text = URL_PASSWORD.sub(r"\1***@", text)
    text = EMAIL.sub("<email>", text)
    text = IBAN.sub("<iban>", text)
    return PHONE.sub("<phone>", text)


@functools.lru_cache(maxsize=4096)
def _key_rule(key: str) -> int:
    """1: the key names a secret; 2: personal data; 0: neither (keys repeat: decided once)."""
    if SECRET_KEYS.search(key):
        return 1
    return 2 if PERSONAL_KEYS.match(key) else 0


def redact_value(key: str, value: Any) -> Any:
    rule = _key_rule(key)
    if rule == 1 and value not in (None, "", 0, False):
        return "***"
    if rule == 2 and value not in (None, ""):
        return "<redacted>"
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(key, v) for v in value]
    return value


def redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        event_dict[key] = redact_value(key, event_dict[key])
    return event_dict


class _CurrentStderr:
    """Writes each line to whatever ``sys.stderr`` is at that moment.

    Binding the stream object at configure time breaks when it is later replaced and closed
    (click's test runner, daemons that reopen stderr); looking it up per line costs nothing.
    """

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _current_stderr_factory(*_args: Any) -> _CurrentStderr:
    return _CurrentStderr()


def configure(fmt: str = "auto", level: str = "info", stream: TextIO | None = None) -> None:
    """Configure structlog for the whole process (call once at the entry point).

    Without ``stream`` lines go to the current ``sys.stderr``.
    """
    out = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            redact_processor,
            # after the redaction: the time stamp is ours and holds nothing to mask
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=(
            structlog.PrintLoggerFactory(stream) if stream is not None else _current_stderr_factory
        ),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name) if name else structlog.get_logger()
