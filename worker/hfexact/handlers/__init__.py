"""One handler per event type, used by ``hfexact.processing.Processor``.

Handlers hold the record lock, check and write bindings (exactly once), call the pure core for
payloads and Exact through ``context.ExactApi``; nothing here parses bytes or talks AMQP.
"""
