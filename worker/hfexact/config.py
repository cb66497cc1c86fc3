"""Configuration in one typed place: built once at the entry point, passed down.

Sources, later ones winning: built-in defaults, a TOML file (``HFEXACT_CONFIG`` or ``--config``)
whose keys are the variable names without the ``HFEXACT_`` prefix in lower case, then the
environment. Nothing deeper in the code reads ``os.environ``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hfexact.cpu import check_setting as check_worker_cpu
from hfexact.errors import ConfigError

PREFIX = "HFEXACT_"


@dataclass(frozen=True)
class Settings:
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    amqp_prefix: str = "hostfact"
    store_url: str = "sqlite:///var/hfexact.sqlite3"
    exact_base_url: str = "https://start.exactonline.nl"
    exact_client_id: str | None = None
    exact_client_secret: str | None = field(default=None, repr=False)
    exact_redirect_uri: str | None = None
    exact_division: int | None = None
    #: installation name -> division, for one broker serving several HostFact installations
    divisions: Mapping[str, int] = field(default_factory=dict)
    installation: str = "hf-main"
    log_format: str = "auto"  # auto | json | console
    log_level: str = "info"
    max_attempts: int = 8
    #: events one worker processes at once (its prefetch); 1 processes strictly in queue order
    worker_concurrency: int = 8
    #: the CPU a worker keeps to: "auto" (the least busy at start), "all" (any) or a number
    worker_cpu: str = "auto"
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    http_timeout_seconds: float = 30.0
    max_message_bytes: int = 1024 * 1024
    metrics_port: int | None = None
    #: Fernet key (urlsafe base64, 32 bytes) for refresh tokens and the client secret at rest
    secret_key: str | None = field(default=None, repr=False)
    secret_key_file: str | None = None
    home_country: str = "NL"
    #: what `debtor.archived` does to the Exact account: "block" it or "leave" it (never delete)
    archived_debtors: str = "block"
    payments_budget_share: float = 0.10
    backfill_headroom_share: float = 0.20

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], *, config_file: str | Path | None = None
    ) -> Settings:
        """Build settings from a TOML file and the environment; report every problem at once."""
        raw: dict[str, Any] = {}
        path = config_file or environ.get(PREFIX + "CONFIG")
        problems: list[str] = []
        if path:
            try:
                raw.update(tomllib.loads(Path(path).read_text(encoding="utf-8")))
            except FileNotFoundError:
                problems.append(f"config file {path} does not exist")
            except tomllib.TOMLDecodeError as exc:
                problems.append(f"config file {path} is not valid TOML: {exc}")
        known = {f.name: f for f in fields(cls)}
        for name in known:
            env_name = PREFIX + name.upper()
            if env_name in environ and environ[env_name] != "":
                raw[name] = environ[env_name]
        unknown = sorted(set(raw) - set(known))
        problems += [f"unknown setting {k!r} in {path}" for k in unknown]
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in known:
                continue
            try:
                values[name] = _coerce(name, known[name].type, value)
            except (TypeError, ValueError) as exc:
                problems.append(f"{PREFIX}{name.upper()} {exc}")
        settings = cls(**values)  # with the values that parsed, so every check still runs
        settings._check(problems)
        if problems:
            raise ConfigError(problems)
        return settings

    def _check(self, problems: list[str]) -> None:
        scheme = urlsplit(self.amqp_url).scheme
        if scheme not in ("amqp", "amqps"):
            problems.append(f"HFEXACT_AMQP_URL must start with amqp:// or amqps://, not {scheme!r}")
        if not self.amqp_prefix or any(c in self.amqp_prefix for c in " #*"):
            problems.append("HFEXACT_AMQP_PREFIX must be a non-empty name without spaces, # or *")
        if not (self.store_url.startswith("sqlite:") or self.store_url.startswith("postgresql")):
            problems.append("HFEXACT_STORE_URL must be sqlite:///path or postgresql://...")
        if not urlsplit(self.exact_base_url).scheme.startswith("http"):
            problems.append("HFEXACT_EXACT_BASE_URL must be an http(s) URL")
        if self.log_format not in ("auto", "json", "console"):
            problems.append("HFEXACT_LOG_FORMAT must be auto, json or console")
        if self.archived_debtors not in ("block", "leave"):
            problems.append("HFEXACT_ARCHIVED_DEBTORS must be block or leave")
        if not 1 <= self.worker_concurrency <= 64:
            problems.append("HFEXACT_WORKER_CONCURRENCY must be between 1 and 64")
        cpu_problem = check_worker_cpu(self.worker_cpu)
        if cpu_problem is not None:
            problems.append(cpu_problem)
        if not 0 < self.payments_budget_share < 1:
            problems.append("HFEXACT_PAYMENTS_BUDGET_SHARE must be between 0 and 1")

    def require(self, *names: str) -> None:
        """Fail with every missing setting named, for commands that need them."""
        missing = [
            f"{PREFIX}{n.upper()} is required" for n in names if getattr(self, n) in (None, "")
        ]
        if "exact_division" in names and self.exact_division is None and self.divisions:
            missing = [m for m in missing if "EXACT_DIVISION" not in m]
        if missing:
            raise ConfigError(missing)

    def division_for(self, installation: str) -> int:
        """The Exact division an installation books into, named explicitly (never 'current')."""
        if installation in self.divisions:
            return self.divisions[installation]
        if self.exact_division is not None:
            return self.exact_division
        raise ConfigError(
            [f"no Exact division for installation {installation!r}: set HFEXACT_EXACT_DIVISION "
             f"or map it under [divisions] in the config file"]
        )

    def redacted(self) -> dict[str, Any]:
        """A printable view with secrets masked."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("exact_client_secret", "secret_key") and value:
                value = "***"
            elif f.name in ("amqp_url", "store_url") and isinstance(value, str):
                value = _mask_url_password(value)
            out[f.name] = dict(value) if isinstance(value, Mapping) else value
        return out


def _mask_url_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@", 1)
    return url


def _coerce(name: str, annotation: Any, value: Any) -> Any:
    text = str(annotation)
    if name == "divisions":
        if isinstance(value, str):
            pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
            value = {k.strip(): v for k, v in pairs}
        if not isinstance(value, Mapping):
            raise TypeError("must map installation names to division numbers")
        try:
            return {str(k): int(v) for k, v in value.items()}
        except ValueError:
            raise ValueError("must map installation names to division numbers, e.g. "
                             "hf-main=123456") from None
    try:
        if "int" in text and "float" not in text:
            return int(value)
        if "float" in text:
            return float(value)
    except ValueError:
        what = "a number" if "float" in text else "a whole number"
        raise ValueError(f"must be {what}, not {value!r}") from None
    return str(value)
