"""The test-only crash hook: inert unless armed, dies with SIGKILL at an armed point."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from hfexact import crashpoints
from hfexact.errors import ConfigError


def test_unarmed_points_do_nothing() -> None:
    crashpoints.disarm()
    for point in crashpoints.POINTS:
        crashpoints.reached(point)  # still alive


def test_spec_parsing() -> None:
    assert crashpoints.parse("before_call,after_call:0.25", 0.5) == {
        "before_call": 0.5, "after_call": 0.25}
    with pytest.raises(ConfigError, match="unknown crash point"):
        crashpoints.parse("before_lunch")
    with pytest.raises(ConfigError, match=r"0\.\.1"):
        crashpoints.parse("after_commit:2")
    assert crashpoints.arm_from({}) == {}


def test_an_armed_point_kills_the_process_and_says_where() -> None:
    code = ("from hfexact import crashpoints\n"
            "crashpoints.arm_from({'HFEXACT_CRASH_AT': 'after_call,before_call:0'})\n"
            "crashpoints.reached('before_call')\n"
            "print('survived before_call', flush=True)\n"
            "crashpoints.reached('after_call')\n"
            "print('survived after_call', flush=True)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == -signal.SIGKILL
    assert result.stdout == "survived before_call\n"
    assert result.stderr.startswith("hfexact-crashpoint after_call ")
