"""Shared by the end-to-end tests: the broker comes from ``HFEXACT_AMQP_URL`` (default: the
machine's RabbitMQ); everything else the demo world makes for itself."""

from __future__ import annotations

import os

from hfexact.config import Settings


def base_settings() -> Settings:
    """Only the broker is taken from the environment; the demo world sets the rest."""
    url = os.environ.get("HFEXACT_AMQP_URL", "")
    return Settings.from_env({"HFEXACT_AMQP_URL": url} if url else {})
