"""Video jobs: a clip a clinician uploaded on the assessment form, and its analysis.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    status = sa.Enum(
        "queued", "running", "done", "failed", name="status", native_enum=False, create_constraint=True, length=20
    )
    op.create_table(
        "video_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("movement", sa.String(length=40), nullable=False),
        sa.Column("view", sa.String(length=10), nullable=True),
        sa.Column("status", status, nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=100), nullable=True),
        sa.Column("result", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_video_jobs_progress")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_video_jobs_created_by_users")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_video_jobs_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_jobs")),
    )
    op.create_index(op.f("ix_video_jobs_patient_id"), "video_jobs", ["patient_id"])


def downgrade() -> None:
    op.drop_table("video_jobs")
