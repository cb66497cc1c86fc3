"""marshmallow and the JSON Schemas agree on every example, as the folders say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfexact.contract import parse_event
from hfexact.contract.domain import ALL_TYPES
from hfexact.contract.jsonschema_check import check_bytes
from hfexact.errors import ContractError
from tests.contract.examples import INVALID, VALID, example_id


class TestExampleSet:
    def test_every_type_has_three_valid_examples(self) -> None:
        """Each of the 15 types has at least three valid examples, filed under its name."""
        counts = dict.fromkeys(ALL_TYPES, 0)
        for path in VALID:
            assert path.parent.name in counts, f"{path} is filed under an unknown type"
            counts[path.parent.name] += 1
        assert {kind: n for kind, n in counts.items() if n < 3} == {}

    def test_at_least_25_invalid_examples(self) -> None:
        """The invalid set is big enough to mean something."""
        assert len(INVALID) >= 25

    @pytest.mark.parametrize("path", VALID, ids=example_id)
    def test_valid_example_is_filed_under_its_type(self, path: Path) -> None:
        """A valid example's folder is its ``type``."""
        assert json.loads(path.read_bytes())["type"] == path.parent.name


@pytest.mark.parametrize("path", VALID, ids=example_id)
def test_valid_example_accepted_by_both(path: Path) -> None:
    """marshmallow loads it and the JSON Schema finds nothing wrong."""
    body = path.read_bytes()
    envelope = parse_event(body)
    assert envelope.type == path.parent.name
    assert check_bytes(body) == {}


@pytest.mark.parametrize("path", INVALID, ids=example_id)
def test_invalid_example_rejected_by_both(path: Path) -> None:
    """marshmallow raises ContractError and the JSON Schema reports at least one error."""
    body = path.read_bytes()
    with pytest.raises(ContractError) as caught:
        parse_event(body)
    assert caught.value.messages
    assert check_bytes(body) != {}
