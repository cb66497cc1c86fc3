from tests.fixtures.store import (  # noqa: F401 - fixtures are found by name
    open_stores,
    pg_database,
    pg_store_url,
    sqlite_store_url,
    store,
    store_url,
)
