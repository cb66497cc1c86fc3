"""Frozen sandbox options and the ``--client ID:SECRET[:DIVISIONS][:REDIRECT_URI]`` syntax."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_DIVISION = 123456


@dataclass(frozen=True)
class ClientSpec:
    """A registered OAuth client (an "app" in Exact's App Center).

    ``redirect_uri`` None accepts any loopback redirect URI (http://127.0.0.1:*, localhost,
    [::1]); ``divisions`` None lets the client use every division of the sandbox.
    """

    client_id: str
    secret: str
    redirect_uri: str | None = None
    divisions: tuple[int, ...] | None = None


DEMO_CLIENT = ClientSpec("demo", "demo")


@dataclass(frozen=True)
class SandboxOptions:
    clients: tuple[ClientSpec, ...] = (DEMO_CLIENT,)
    divisions: tuple[int, ...] = (DEFAULT_DIVISION,)
    minutely: int = 60
    daily: int = 5000
    error_budget: bool = False
    error_budget_limit: int = 10
    early_refresh_rejected: bool = True
    token_calls_per_day: int = 200
    quiet: bool = True
    extra: dict[str, str] = field(default_factory=dict)


def parse_client(spec: str) -> ClientSpec:
    """Parse ``ID:SECRET``, ``ID:SECRET:123456,234567`` or ``ID:SECRET:*:https://host/cb``."""
    parts = spec.split(":", 3)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ValueError("client must look like ID:SECRET[:DIVISIONS][:REDIRECT_URI], "
                         f"got {spec!r}")
    divisions: tuple[int, ...] | None = None
    if len(parts) >= 3 and parts[2] not in ("", "*"):
        try:
            divisions = tuple(int(p) for p in parts[2].split(",") if p)
        except ValueError as exc:
            raise ValueError(f"divisions must be numbers separated by commas in {spec!r}") from exc
    redirect = parts[3] if len(parts) == 4 and parts[3] else None
    return ClientSpec(parts[0], parts[1], redirect, divisions)
