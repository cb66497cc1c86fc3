"""``HFEXACT_AMQP_URL`` -> pika connection parameters, TLS with certificate verification.

The URL follows RabbitMQ's URI spec: ``amqp://user:pass@host:5672/vhost`` or
``amqps://user:pass@host:5671/vhost?cacertfile=/etc/hfexact/ca.pem``. Query parameters:

- TLS (amqps only): ``cacertfile`` (CA bundle that signed the broker's certificate; the system
  store when absent), ``certfile`` + ``keyfile`` (client certificate, optional),
  ``server_name_indication`` (host name to verify when it differs from the URL's host).
  Verification cannot be switched off: ``verify=verify_none`` is refused.
- pika's own: ``heartbeat`` (default 30 s), ``blocked_connection_timeout`` (default 300 s),
  ``socket_timeout``, ``connection_attempts``, ``retry_delay``, ``channel_max``, ``frame_max``.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import pika
import pika.exceptions

from hfexact.errors import ConfigError, TransientError

TLS_KEYS = frozenset({"cacertfile", "certfile", "keyfile", "server_name_indication", "verify"})
DEFAULTS = {"heartbeat": "30", "blocked_connection_timeout": "300", "socket_timeout": "10"}


def connection_parameters(url: str, *, name: str = "hfexact") -> pika.URLParameters:
    """Build pika parameters; TLS verifies the broker's certificate and host name."""
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps"):
        raise ConfigError([f"HFEXACT_AMQP_URL must start with amqp:// or amqps://, "
                           f"not {parts.scheme!r}"])
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    tls = {k: query.pop(k) for k in list(query) if k in TLS_KEYS}
    for key, value in DEFAULTS.items():
        query.setdefault(key, value)
    plain = urlunsplit(("amqp", parts.netloc, parts.path, urlencode(query), ""))
    params = pika.URLParameters(plain)
    params.client_properties = {"connection_name": name, "product": "hostfact-exact-bridge"}
    if parts.scheme == "amqps":
        params.ssl_options = pika.SSLOptions(
            tls_context(tls), server_hostname=tls.get("server_name_indication") or parts.hostname
        )
        if parts.port is None:
            params.port = 5671
    elif tls:
        raise ConfigError([f"HFEXACT_AMQP_URL sets TLS options ({', '.join(sorted(tls))}) "
                           f"but uses amqp://; use amqps://"])
    return params


def tls_context(options: dict[str, str]) -> ssl.SSLContext:
    """A client context that requires a valid certificate for the broker's host name."""
    if options.get("verify", "verify_peer") != "verify_peer":
        raise ConfigError(["HFEXACT_AMQP_URL: certificate verification cannot be turned off "
                           "(verify=verify_peer is the only accepted value)"])
    try:
        context = ssl.create_default_context(cafile=options.get("cacertfile"))
        if options.get("certfile"):
            context.load_cert_chain(options["certfile"], options.get("keyfile"))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError([f"HFEXACT_AMQP_URL: cannot load TLS files: {exc}"]) from exc
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def describe(url: str) -> str:
    """The URL without password or query, for messages and logs."""
    parts = urlsplit(url)
    user = unquote(parts.username or "guest")
    host = parts.hostname or "localhost"
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    return f"{parts.scheme}://{user}@{host}:{port} vhost {vhost!r}"


def connect(url: str, *, name: str = "hfexact") -> Any:
    """Open a ``pika.BlockingConnection``; refused logins and untrusted certificates are
    ``ConfigError`` (a person must fix them), anything else ``TransientError`` (try again)."""
    params = connection_parameters(url, name=name)
    try:
        return pika.BlockingConnection(params)
    except (pika.exceptions.ProbableAuthenticationError,
            pika.exceptions.AuthenticationError) as exc:
        raise ConfigError([f"RabbitMQ refused the login at {describe(url)}: {exc}; check the "
                           "user and password in HFEXACT_AMQP_URL"]) from exc
    except pika.exceptions.ProbableAccessDeniedError as exc:
        raise ConfigError([f"RabbitMQ refused access to the vhost at {describe(url)}: {exc}; "
                           "give the user permissions (`hfexact topology permissions` prints "
                           "the rabbitmqctl commands)"]) from exc
    except (pika.exceptions.AMQPConnectionError, ssl.SSLError, OSError) as exc:
        if _tls_failure(exc):
            raise ConfigError(
                [f"the TLS certificate of {describe(url)} is not trusted or does not match the "
                 f"host name: {_root_cause(exc)}; set cacertfile= in HFEXACT_AMQP_URL"]
            ) from exc
        raise TransientError(f"RabbitMQ at {describe(url)} is not reachable: "
                             f"{_root_cause(exc)}",
                             hint="start RabbitMQ or fix HFEXACT_AMQP_URL") from exc


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    stack: list[BaseException] = [exc]
    while stack:
        cur = stack.pop()
        if cur in seen:
            continue
        seen.append(cur)
        stack.extend(getattr(cur, "exceptions", None) or [])
        stack.extend(a for a in getattr(cur, "args", ()) if isinstance(a, BaseException))
        if cur.__cause__ is not None:
            stack.append(cur.__cause__)
        if cur.__context__ is not None:
            stack.append(cur.__context__)
    return seen


def _tls_failure(exc: BaseException) -> bool:
    return any(isinstance(c, ssl.SSLCertVerificationError) for c in _causes(exc))


def _root_cause(exc: BaseException) -> str:
    causes = _causes(exc)
    return repr(causes[-1]) if causes else repr(exc)
