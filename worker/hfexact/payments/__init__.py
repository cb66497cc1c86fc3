"""Payments back: Exact's matched payments mark HostFact invoices paid, part paid or open again.

- ``terms``: Exact's payment-term rows for one invoice and the amounts they add up to (pure);
- ``decide``: the decision core, evidence + what was reported -> results (pure);
- ``results``: result envelopes with deterministic message ids;
- ``state`` / ``budget``: what the poller keeps in the store, and its share of the rate budget;
- ``poller``: ``hfexact payments poll``: read ``sync/Cashflow/PaymentTerms`` incrementally,
  publish with confirms, then save the cursor; ``reconcile``: compare with Exact's open items.
"""
