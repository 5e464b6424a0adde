"""The latest sessions of a program version, found by the index alone whatever the planner's statistics.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

Logging a session reads the version's latest sessions of the patient (``repo.recent_session_entries``:
``WHERE patient_id = ? AND program_id = ? ORDER BY performed_on DESC, id DESC LIMIT ?``). With
``(program_id, performed_on, id)`` and ``(patient_id, performed_on)`` PostgreSQL, whose statistics had
not caught up with a fast-growing history, combined the two indexes and sorted every session of the
version: 1.2 ms for a patient with 1,000 sessions, growing with each one, against 0.1 ms walking down one
index that has both columns first (``bench/README.md``). The new index replaces the old one, which was a
prefix of it in use (no more indexes to keep up on each insert).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "ix_session_logs_program_id_performed_on_id", "ix_session_logs_program_id_patient_id_performed_on_id"


def upgrade() -> None:
    op.create_index(NEW, "session_logs", ["program_id", "patient_id", "performed_on", "id"])
    op.drop_index(OLD, table_name="session_logs")


def downgrade() -> None:
    op.create_index(OLD, "session_logs", ["program_id", "performed_on", "id"])
    op.drop_index(NEW, table_name="session_logs")
