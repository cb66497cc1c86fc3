"""The event contract: ``schemas/`` in Python.

- :func:`parse_event` bytes -> typed :class:`Envelope` (marshmallow), or ContractError;
- :func:`validate_result` checks a result message a producer is about to publish;
- :mod:`hfexact.contract.domain` holds the typed, frozen objects.
"""

from hfexact.contract.domain import Envelope
from hfexact.contract.jsonschema_check import validate_result
from hfexact.contract.parse import parse_event

__all__ = ["Envelope", "parse_event", "validate_result"]
