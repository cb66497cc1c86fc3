from tests.fixtures.store import (  # noqa: F401 - fixtures are found by their name= argument
    open_stores_fixture,
    pg_database_fixture,
    pg_store_url_fixture,
    sqlite_store_url_fixture,
    store_fixture,
    store_url_fixture,
)
