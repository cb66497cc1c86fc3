"""Hypothesis: parse_event never raises anything but ContractError, and agrees with the schemas.

Three generators: raw bytes, arbitrary JSON documents, and valid examples with one value
replaced or removed somewhere deep inside (the realistic kind of mistake).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfexact.contract import Envelope, parse_event
from hfexact.contract.jsonschema_check import check_bytes
from hfexact.errors import ContractError
from tests.contract.examples import VALID

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

DOCS = [json.loads(path.read_bytes()) for path in VALID]

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "0", "1", "-1", "8", "9", "1.00", "-1.00", "0.00", "-0.00", "100",
                       "2026-02-30", "2026-11-28", "2026-11-28 15:04:05", "EUR", "NL", "yes",
                       "SDD20261205", "12.5", "1e3", " 1.00", "1.00\n", "[concept]0001"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=20,
)


def outcome(body: bytes) -> bool:
    """True when parse_event accepts; only ContractError may signal rejection."""
    try:
        result = parse_event(body)
    except ContractError as exc:
        problems = exc.messages
    else:
        assert isinstance(result, Envelope)
        return True
    assert problems
    return False


@FUZZ
@given(st.binary(max_size=2_000))
def test_random_bytes(body: bytes) -> None:
    """Any bytes at all: an Envelope or a ContractError, nothing else."""
    outcome(body)


@FUZZ
@given(json_values)
def test_random_json(document: Any) -> None:
    """Any JSON document: an Envelope or a ContractError, nothing else."""
    outcome(json.dumps(document).encode())


@FUZZ
@given(json_values, st.sampled_from(sorted({d["type"] for d in DOCS})))
def test_random_data_under_a_real_type(payload: Any, message_type: str) -> None:
    """A well-formed envelope whose data/related are arbitrary JSON."""
    doc = copy.deepcopy(next(d for d in DOCS if d["type"] == message_type))
    doc["data"] = payload
    if isinstance(payload, dict) and payload:
        doc["related"] = payload
    outcome(json.dumps(doc).encode())


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_examples(draw: st.DrawFn) -> bytes:
    doc = copy.deepcopy(draw(st.sampled_from(DOCS)))
    path = draw(st.sampled_from(_paths(doc)))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    old = parent[path[-1]]
    how = draw(st.sampled_from(["delete", "replace", "perturb"]))
    if how == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif how == "perturb" and isinstance(old, str):
        parent[path[-1]] = draw(st.sampled_from([
            old + "\n", " " + old, old + " ", "-" + old, old[:-1], old + "0", old.lower(),
            old.upper(), old.replace(".", ","), old.replace("-", "/"), "\u0663" + old,
        ]))
    else:
        parent[path[-1]] = draw(json_values)
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_examples())
def test_mutated_examples_marshmallow_and_json_schema_agree(body: bytes) -> None:
    """One value changed or removed: marshmallow accepts exactly when the JSON Schema does."""
    accepted = outcome(body)
    assert accepted == (check_bytes(body) == {}), check_bytes(body)
