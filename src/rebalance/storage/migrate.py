"""Bring a database's schema up to date, without an ``alembic.ini``.

>>> upgrade()                                   # the Settings' database
>>> upgrade("postgresql+psycopg://u@host/db")   # another one

The migrations live in this package (``migrations/``), so this works from an installed wheel.
For other Alembic commands, pass :func:`alembic_config` to ``alembic.command``.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from rebalance.config import Settings

SCRIPT_LOCATION = "rebalance.storage:migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for this package's migrations against ``url`` (default: the Settings').

    The URL travels in ``Config.attributes``, not the ini options, so ``%`` in it needs no escaping.
    """
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["url"] = url or Settings().database_url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` (default: the newest) on ``url`` (default: the Settings')."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Undo the migrations down to ``revision`` (default: an empty database)."""
    command.downgrade(alembic_config(url), revision)
