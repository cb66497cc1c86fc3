"""Exact's answers and requests' exceptions, mapped to the bridge's error tree (reference §4).

- 2xx JSON / 204: no error.
- An HTML page on 2xx/3xx/5xx (maintenance, a proxy's error page): TransientError.
- 500 with ``error.message.value`` (business validation): ExactRejected, Exact's text as written.
- 500 generic ("A problem has occurred...") or without an envelope: TransientError.
- 502/503/504 and other 5xx, timeouts, connection errors: TransientError.
- 400, 403 (with its ``Reason`` header), 404, 405 and other 4xx: ExactRejected.
- 401: AuthorizationLost (the client first refreshes once when the token is old enough).
- 429: RateLimited, ``retry_at`` from the exhausted window's reset header (ms -> s).
- Token endpoint: "Old refresh token used.", invalid_grant, an expired refresh token or a wrong
  client: AuthorizationLost; "Access Token not expired": TransientError.
"""

from __future__ import annotations

import json
import math
from typing import Any

import requests

from hfexact.errors import (
    AuthorizationLost,
    BridgeError,
    ConfigError,
    ExactRejected,
    RateLimited,
    TransientError,
)

GENERIC_500 = ("a problem has occurred",)
MINUTE_RESET = "X-RateLimit-Minutely-Reset"
MINUTE_REMAINING = "X-RateLimit-Minutely-Remaining"
DAY_RESET = "X-RateLimit-Reset"
DAY_REMAINING = "X-RateLimit-Remaining"
#: a 429 without any reset header waits this long (Exact's minute penalty was seen to last 2 min)
UNKNOWN_429_WAIT = 60.0
MAX_TEXT = 500


def _json(response: requests.Response) -> Any:
    try:
        return json.loads(response.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def is_html(response: requests.Response) -> bool:
    """True for an HTML page (Exact's maintenance page, a proxy's error page)."""
    if "html" in response.headers.get("Content-Type", "").lower():
        return True
    head = response.content[:200].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body"))


def exact_message(response: requests.Response) -> str | None:
    """``error.message.value`` of Exact's OData error envelope, exactly as Exact wrote it."""
    payload = _json(response)
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            message = error.get("message")
            if isinstance(message, dict) and isinstance(message.get("value"), str):
                return str(message["value"])
            if isinstance(message, str):
                return message
    return None


def _text(response: requests.Response) -> str:
    return response.content[:MAX_TEXT].decode("utf-8", errors="replace").strip()


def _ms_header(headers: Any, name: str) -> float | None:
    value = headers.get(name)
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(str(value).strip()) / 1000.0
    except ValueError:
        return None


def _int_header(headers: Any, name: str) -> int | None:
    value = headers.get(name)
    try:
        return None if value is None else int(str(value).strip())
    except ValueError:
        return None


def retry_at_429(response: requests.Response, now: float) -> float:
    """When a 429 lifts: the reset of the exhausted window (ms in the headers -> epoch seconds).

    A minutely 429 carries only the minutely headers, a daily one the daily reset; if both are
    there the one with nothing remaining (or the later one) wins; with none, wait a minute.
    """
    headers = response.headers
    minute = _ms_header(headers, MINUTE_RESET)
    day = _ms_header(headers, DAY_RESET)
    candidates: list[float] = []
    if day is not None and (minute is None or _int_header(headers, DAY_REMAINING) == 0):
        candidates.append(day)
    if minute is not None and (day is None or _int_header(headers, MINUTE_REMAINING) == 0):
        candidates.append(minute)
    if not candidates and minute is not None and day is not None:
        candidates.append(max(minute, day))
    if not candidates:
        return max((math.floor(now / 60.0) + 1) * 60.0, now + UNKNOWN_429_WAIT)
    return max(candidates)


def map_response(
    response: requests.Response, *, endpoint: str, division: int | None, now: float
) -> BridgeError | None:
    """The error an Exact REST answer means, or None when it is a success."""
    status = response.status_code
    if status == 429:
        retry_at = retry_at_429(response, now)
        return RateLimited(f"Exact rate limit reached on {endpoint}", retry_at=retry_at,
                           division=division)
    if is_html(response) and not 400 <= status < 500:
        return TransientError(
            f"Exact answered {endpoint} with an HTML page (HTTP {status}); "
            "maintenance or an outage, retry later"
        )
    if 200 <= status < 300:
        return None
    message = exact_message(response)
    if status == 401:
        return AuthorizationLost(
            f"Exact refused the access token on {endpoint} (401): {message or _text(response)}"
        )
    if status >= 500:
        if status == 500 and message and not message.strip().lower().startswith(GENERIC_500):
            return ExactRejected(f"Exact rejected {endpoint}: {message}", status=500,
                                 exact_message=message, endpoint=endpoint)
        return TransientError(
            f"Exact failed on {endpoint} (HTTP {status}): {message or _text(response) or 'no body'}"
        )
    if 300 <= status < 400:
        return TransientError(f"Exact answered {endpoint} with an unexpected redirect ({status})")
    text = message or _text(response)
    if status == 403:
        reason = response.headers.get("Reason")
        detail = f"{reason}: {text}" if reason and text else (reason or text)
        return ExactRejected(
            f"Exact refused access to {endpoint} (403 {detail})", status=403,
            exact_message=detail, endpoint=endpoint,
            hint="check the user's rights, the app's scopes and the division scope in Exact",
        )
    return ExactRejected(f"Exact rejected {endpoint} (HTTP {status}): {text}", status=status,
                         exact_message=text, endpoint=endpoint)


def map_request_exception(exc: requests.RequestException, *, endpoint: str) -> BridgeError:
    """A requests exception (no answer from Exact) as a bridge error."""
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema
                  | requests.exceptions.InvalidSchema):
        return ConfigError([f"HFEXACT_EXACT_BASE_URL gives an unusable URL for {endpoint}: {exc}"])
    if isinstance(exc, requests.Timeout):
        what = "timed out"
    elif isinstance(exc, requests.ConnectionError):
        what = "connection failed"
    else:
        what = f"failed ({type(exc).__name__})"
    return TransientError(f"Exact request {endpoint} {what}")


def map_token_response(response: requests.Response, *, now: float) -> BridgeError | None:
    """The error a token-endpoint answer means, or None on success (200 with JSON)."""
    status = response.status_code
    if status == 429:
        return RateLimited("Exact's token endpoint is rate limited",
                           retry_at=retry_at_429(response, now))
    if is_html(response) or status >= 500:
        return TransientError(f"Exact's token endpoint failed (HTTP {status}); retry later")
    payload = _json(response)
    if 200 <= status < 300:
        if not isinstance(payload, dict) or "access_token" not in payload:
            return TransientError("Exact's token endpoint answered without an access token")
        return None
    error = payload.get("error", "") if isinstance(payload, dict) else ""
    description = payload.get("error_description", "") if isinstance(payload, dict) else ""
    said = " - ".join(str(p) for p in (error, description) if p) or _text(response)
    if "not expired" in said.lower():
        return TransientError(f"Exact refused an early refresh (HTTP {status}): {said}")
    return AuthorizationLost(f"Exact's token endpoint refused the grant (HTTP {status}): {said}")
