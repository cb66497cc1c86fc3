"""The event contract: ``schemas/`` in Python.

- :func:`parse_event` bytes -> typed :class:`Envelope` (marshmallow), or ContractError;
- :func:`check_result` checks a result message the worker is about to publish (marshmallow);
- :func:`validate_result` checks it against both marshmallow and ``schemas/`` (tests, tools);
- :mod:`hfexact.contract.domain` holds the typed, frozen objects.
"""

from hfexact.contract.domain import Envelope
from hfexact.contract.jsonschema_check import validate_result
from hfexact.contract.parse import check_result, parse_event

__all__ = ["Envelope", "check_result", "parse_event", "validate_result"]
