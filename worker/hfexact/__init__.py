"""hostfact-exact-bridge: keeps HostFact billing in step with Exact Online, event by event."""

__version__ = "0.1.0"
