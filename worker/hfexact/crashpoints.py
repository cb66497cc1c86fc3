"""TEST-ONLY fault hook: die with SIGKILL at named points, to prove crash safety.

Inert unless armed. Only the ``hfexact worker`` command arms it, and only when the operator's
environment sets ``HFEXACT_CRASH_AT`` (never set in production; the reliability suite sets it).
Unarmed, :func:`reached` is one dictionary lookup on an empty dict.

``HFEXACT_CRASH_AT`` is a comma list of points, each optionally with its own probability:
``before_call,after_call:0.05,after_commit``; ``HFEXACT_CRASH_PROBABILITY`` (default 1.0) is the
probability of the points without one, ``HFEXACT_CRASH_SEED`` seeds the draw. Points:

==================== =========================================================================
``before_call``      just before a write (POST/PUT/DELETE) is sent to Exact
``after_call``       after Exact answered a write with success, before anything is recorded
``after_commit``     after the processor committed its bindings, before results and the ack
``after_token_saved`` after refreshed tokens were committed to the store, before their use
==================== =========================================================================

Before dying the process writes one line ``hfexact-crashpoint <point> <pid>`` to its stderr
(unbuffered), so a test can count where its workers died.

``HFEXACT_POISON_EVENT_IDS`` (a comma list of event ids) makes processing those events raise a
plain ``RuntimeError`` (:func:`poisoned`): a bug-shaped exception, to prove that a poison message
is dead-lettered as ``crash`` and the worker carries on.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Mapping

from hfexact.errors import ConfigError

POINTS = frozenset({"before_call", "after_call", "after_commit", "after_token_saved"})

_armed: dict[str, float] = {}
_poison: set[str] = set()
_rng = random.Random()  # noqa: S311 - a fault draw, not cryptography


def parse(spec: str, default_probability: float = 1.0) -> dict[str, float]:
    """``"a,b:0.1"`` -> ``{"a": default, "b": 0.1}``; unknown points are a ConfigError."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, _, probability = part.partition(":")
        if name not in POINTS:
            raise ConfigError([f"HFEXACT_CRASH_AT: unknown crash point {name!r} "
                               f"(known: {', '.join(sorted(POINTS))})"])
        try:
            value = float(probability) if probability else default_probability
        except ValueError as exc:
            raise ConfigError([f"HFEXACT_CRASH_AT: {part!r} has no valid probability"]) from exc
        if not 0.0 <= value <= 1.0:
            raise ConfigError([f"HFEXACT_CRASH_AT: probability of {name} must be 0..1"])
        out[name] = value
    return out


def arm_from(environ: Mapping[str, str]) -> dict[str, float]:
    """Arm from ``HFEXACT_CRASH_*`` in ``environ`` (the worker command's environment)."""
    _poison.clear()
    _poison.update(p.strip() for p in environ.get("HFEXACT_POISON_EVENT_IDS", "").split(",")
                   if p.strip())
    spec = environ.get("HFEXACT_CRASH_AT", "")
    if not spec:
        _armed.clear()
        return {}
    try:
        default = float(environ.get("HFEXACT_CRASH_PROBABILITY") or 1.0)
    except ValueError as exc:
        raise ConfigError(["HFEXACT_CRASH_PROBABILITY must be a number 0..1"]) from exc
    points = parse(spec, default)
    seed = environ.get("HFEXACT_CRASH_SEED")
    arm(points, seed=int(seed) if seed else None)
    return points


def arm(points: Mapping[str, float], *, seed: int | None = None) -> None:
    _armed.clear()
    _armed.update(points)
    _rng.seed(seed)


def disarm() -> None:
    _armed.clear()
    _poison.clear()


def armed() -> bool:
    """Whether any fault (a crash point or a poisoned event) is armed in this process."""
    return bool(_armed or _poison)


def poisoned(event_id: str) -> None:
    """Raise a plain RuntimeError for an event named in ``HFEXACT_POISON_EVENT_IDS``."""
    if _poison and event_id in _poison:
        raise RuntimeError(f"test poison: event {event_id} is armed to fail like a bug")


def reached(point: str) -> None:
    """Die here (SIGKILL, no cleanup, no flush) if this point is armed and the draw says so."""
    probability = _armed.get(point)
    if probability is None or _rng.random() >= probability:
        return
    os.write(2, f"hfexact-crashpoint {point} {os.getpid()}\n".encode())
    os.kill(os.getpid(), signal.SIGKILL)
