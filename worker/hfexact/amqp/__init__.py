"""RabbitMQ adapters: topology, connection parameters, confirmed publishing, consuming.

Nothing above this package sees a pika exception: connection problems become
``TransientError`` (the worker reconnects) and refused logins, TLS trust failures and topology
mismatches become ``ConfigError`` (the operator must act).
"""
