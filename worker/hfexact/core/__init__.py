"""The pure translation core: validated HostFact objects in, Exact payloads out.

No I/O, no clock, no environment. What the core needs from Exact (GL GUIDs, the receivables
account) comes in as a frozen ``lookups.Lookups``; customer/supplier GUIDs and known entry
numbers are arguments. Modules: ``codes`` (number masks), ``vat`` (customer kind, VAT codes),
``amounts`` (cent-exact line amounts and VAT), ``accounts``, ``sales``, ``purchases``, ``sdd``
(payload builders) and ``settings_check`` (settings against master data).
"""
