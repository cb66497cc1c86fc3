"""Exact Online sandbox: a standalone emulator of the Exact Online REST API.

It imports nothing from the rest of ``hfexact``, so a misunderstanding in the worker cannot hide
in it. Layout (a thin HTTP shell around an in-memory state guarded by one lock):

- ``server`` / ``cli``: werkzeug threaded server, ``start_sandbox()``, ``hfexact sandbox``.
- ``tls``: the optional HTTPS mode (a CA and server certificate made per run).
- ``app``: request routing, authentication, rate limits, faults, response formats.
- ``oauth``, ``ratelimit``, ``clock``: tokens, fair-use windows, the movable sandbox clock.
- ``odata``: ``$filter`` (odata-query AST), paging/``$select``/``$orderby``, JSON and Atom output.
- ``schema``, ``entities``: Exact's entity types and their business rules (Dutch messages).
- ``ledger``: receivables/payables, matching, and the read views over them.
- ``control``: the ``/sandbox/`` control API for tests and the demo.
"""

from hfexact.sandbox.server import RunningSandbox, start_sandbox

__all__ = ["RunningSandbox", "start_sandbox"]
