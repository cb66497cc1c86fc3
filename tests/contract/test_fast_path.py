"""The validation fast path accepts only what marshmallow accepts, and builds the same Envelope.

Every example (valid and invalid) and hypothesis-mutated documents go through both paths:
the same decision, and on acceptance equal Envelopes (``==`` and ``repr``, so ``Decimal("1.0")``
against ``Decimal("1.00")`` or ``True`` against ``1`` would show).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfexact.contract import domain, parse_event
from hfexact.contract.fast import PLANS, Rejected, fast_parse
from hfexact.contract.parse import MAX_BYTES, parse_event_marshmallow
from hfexact.errors import ContractError
from tests.contract.examples import INVALID, VALID, example, example_id
from tests.contract.test_fuzz import DOCS, json_values, mutated_examples


def both(body: bytes) -> tuple[domain.Envelope | None, domain.Envelope | None]:
    """(fast path's Envelope or None, marshmallow's Envelope or None) for ``body``."""
    fast = fast_parse(body, max_bytes=MAX_BYTES, allowed_types=domain.ALL_TYPES)
    try:
        slow: domain.Envelope | None = parse_event_marshmallow(body)
    except ContractError:
        slow = None
    return fast, slow


def assert_fast_agrees(body: bytes) -> None:
    """Fast accepts -> marshmallow accepts, with the very same Envelope."""
    fast, slow = both(body)
    if fast is not None:
        assert slow is not None, "the fast path accepted what marshmallow rejects"
        assert fast == slow
        assert repr(fast) == repr(slow)


def test_every_type_has_a_fast_path() -> None:
    """All 15 schemas compile (a schema that does not compile silently falls back)."""
    assert set(PLANS) == set(domain.ALL_TYPES)


@pytest.mark.parametrize("path", VALID, ids=example_id)
def test_valid_example_same_envelope(path: Path) -> None:
    """Each valid example: the fast path accepts it and builds marshmallow's Envelope."""
    fast, slow = both(path.read_bytes())
    assert slow is not None
    assert fast is not None
    assert fast == slow
    assert repr(fast) == repr(slow)


@pytest.mark.parametrize("path", INVALID, ids=example_id)
def test_invalid_example_rejected_by_fast_path(path: Path) -> None:
    """Each invalid example: the fast path refuses; parse_event raises marshmallow's messages."""
    body = path.read_bytes()
    assert fast_parse(body, max_bytes=MAX_BYTES, allowed_types=domain.ALL_TYPES) is None
    with pytest.raises(ContractError) as fast_way:
        parse_event(body)
    with pytest.raises(ContractError) as marshmallow_way:
        parse_event_marshmallow(body)
    assert fast_way.value.messages == marshmallow_way.value.messages


INVOICE = example("invoice.issued", "dutch-bv-multiline-21-and-9-direct-debit")


@pytest.mark.parametrize("body", [
    b"\xef\xbb\xbf" + INVOICE,
    INVOICE.replace(b'"version": 1', b'"version": 1.0'),
    INVOICE.replace(b'"version": 1', b'"version": 123456789012345678901234567890'),
    INVOICE.replace(b'"version": 1', b'"version": NaN'),
    INVOICE.replace(b'"Status": "2"', b'"Status": "2", "Extra": [123456789012345678901234567890]'),
    INVOICE.replace(b'"Status": "2"', b'"Status": "\\ud800"'),
], ids=["bom", "float-version", "big-int", "nan", "big-int-inside", "lone-surrogate"])
def test_decoding_edges(body: bytes) -> None:
    """What json.loads refuses, or what orjson reads differently, is never accepted fast."""
    assert_fast_agrees(body)
    assert fast_parse(body, max_bytes=MAX_BYTES, allowed_types=domain.ALL_TYPES) is None


def test_size_limit_before_anything() -> None:
    body = INVOICE
    assert fast_parse(body, max_bytes=len(body) - 1, allowed_types=domain.ALL_TYPES) is None
    with pytest.raises(ContractError):
        parse_event(body, max_bytes=len(body) - 1)


def test_allowed_types_respected() -> None:
    body = example("export.succeeded", "invoice-booked")
    assert fast_parse(body, max_bytes=MAX_BYTES, allowed_types=domain.EVENT_TYPES) is None
    with pytest.raises(ContractError):
        parse_event(body, allowed_types=domain.EVENT_TYPES)


def test_disagreement_is_logged_and_marshmallow_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the fast path refuses what marshmallow accepts: marshmallow's Envelope, a warning."""
    body = INVOICE
    monkeypatch.setitem(PLANS, "invoice.issued", _refuse)
    with structlog.testing.capture_logs() as logs:
        envelope = parse_event(body)
    assert envelope == parse_event_marshmallow(body)
    assert logs == [{"event": "contract.fast_path_disagreed", "type": "invoice.issued",
                     "log_level": "warning"}]


def _refuse(document: Any) -> Any:
    raise Rejected


FUZZ = settings(max_examples=600, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(mutated_examples())
def test_mutated_examples_same_decision(body: bytes) -> None:
    """One value changed or removed: the same decision, and the same Envelope on acceptance."""
    fast, slow = both(body)
    assert (fast is None) == (slow is None)
    if fast is not None:
        assert fast == slow
        assert repr(fast) == repr(slow)


@FUZZ
@given(json_values, st.sampled_from(sorted({d["type"] for d in DOCS})))
def test_random_data_under_a_real_type(payload: Any, message_type: str) -> None:
    """Arbitrary data/related under a real envelope: never accepted fast unless marshmallow does."""
    doc = copy.deepcopy(next(d for d in DOCS if d["type"] == message_type))
    doc["data"] = payload
    if isinstance(payload, dict) and payload:
        doc["related"] = payload
    assert_fast_agrees(json.dumps(doc).encode())


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(body: bytes) -> None:
    assert_fast_agrees(body)
