"""A throwaway schema on a PostgreSQL server, for the test suite and the benchmarks.

>>> with scratch_schema("postgresql+psycopg://postgres@127.0.0.1:5432/test", "rebalance_test") as url:
...     upgrade(url)                 # the tables are made in the new schema, and only there

The URL it yields points at the same database with ``search_path`` set to a new, empty schema, so
nothing else on the server is touched; the schema and everything in it is dropped afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text


@contextmanager
def scratch_schema(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new empty schema ``<prefix>_<random>`` on ``server_url``'s database; dropped at the end."""
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    schema = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield (
                make_url(server_url)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
        finally:
            with server.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        server.dispose()
