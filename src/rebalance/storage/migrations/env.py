"""Alembic's entry point: run the migrations on the URL given by :mod:`rebalance.storage.migrate`.

The engine is :func:`rebalance.storage.db.make_engine`'s, so SQLite runs with foreign keys on and in a
real transaction. ``render_as_batch`` lets autogenerate write SQLite-safe table changes.
"""

from __future__ import annotations

from alembic import context

from rebalance.config import Settings
from rebalance.storage.db import make_engine
from rebalance.storage.tables import Base


def run_migrations_online() -> None:
    url = context.config.attributes.get("url") or Settings().database_url
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=engine.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("rebalance runs its migrations online only: give a database URL")
run_migrations_online()
