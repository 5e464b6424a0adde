"""Storage: tables, sessions, migrations, and the repository the web app and command line call.

config       rebalance.config.Settings.database_url (REBALANCE_DATABASE_URL); SQLite file by default
types        column types (JSON/JSONB, UTC timestamps) and the value sets (roles, statuses, actions)
tables       the SQLAlchemy tables
schemas      what goes in (XCreate) and comes out (XPublic) of the store
db           engines, session factories, session_scope()
audit        an audit event, recorded in the unit of work that reads or changes the record
repos/       the operations, one module a resource, each checked against the acting user and audited
migrate      upgrade(url) runs the Alembic migrations in migrations/ to the newest
"""

from __future__ import annotations

from rebalance.storage.db import make_engine, make_session_factory, session_scope
from rebalance.storage.migrate import upgrade

__all__ = ["make_engine", "make_session_factory", "session_scope", "upgrade"]
