"""Suite-wide fixtures: global state that a test changes is put back afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    """A command run in-process configures logging for the process; undo it after the test."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
