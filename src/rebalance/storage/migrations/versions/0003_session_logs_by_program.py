"""An index for the latest sessions of a program version.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Logging a session reads the program version's latest sessions (``repo.recent_session_logs``) to
say what the pain-monitoring model makes of them: with ``(program_id, performed_on, id)`` that is a
short walk down one index, however long the history.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_session_logs_program_id_performed_on_id", "session_logs", ["program_id", "performed_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_session_logs_program_id_performed_on_id", table_name="session_logs")
