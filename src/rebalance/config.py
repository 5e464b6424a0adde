"""rebalance's settings: one typed object, read from ``REBALANCE_*`` environment variables.

>>> Settings().database_url            # no REBALANCE_DATABASE_URL set
'sqlite:///./rebalance.db'

Each field documents itself (its description); ``Settings.model_json_schema()`` lists them all.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./rebalance.db"


class Settings(BaseSettings):
    """Everything rebalance can be configured with; each field is ``REBALANCE_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="REBALANCE_", frozen=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description=(
            "SQLAlchemy URL of the database. Default: the SQLite file rebalance.db in the current working "
            "directory. PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname."
        ),
        min_length=1,
    )
    database_echo: bool = Field(
        default=False,
        description="Log every SQL statement the storage layer sends (for debugging; never in production).",
    )
