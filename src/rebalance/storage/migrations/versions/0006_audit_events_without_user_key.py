"""The audit log keeps no foreign key to the users: it outlives every record it names, users included.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

Every READ event the web app stores (three a today page) was checked against ``users`` by the foreign key,
and on PostgreSQL that check locks the user's row (``FOR KEY SHARE``); the two server processes' batches
lock the same rows at the same moments, rows that every sign-in lookup reads. In a ``COPY`` of 52,000
events on one connection the check was about a third of the server's time a row (7.3 µs without it against
11.6 µs with it), and in runs alternating with and without it the today page's p99 was 16–39 ms without
it against 20–74 ms with it (``bench/README.md``). Which of the two costs made the difference was not
measured apart. The users are
never deleted (an admin deactivates them), and the log's writers name the signed-in user, so the key
guarded nothing the app could do.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "fk_audit_events_user_id_users"


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as table:  # SQLite: the table is made again without it
        table.drop_constraint(KEY, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as table:
        table.create_foreign_key(KEY, "users", ["user_id"], ["id"])
