"""The latest assessment's safety level, read from the index alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

A clinician's patient list shows each patient's latest safety level (``repo._patient_list``): with
``safety_level`` as the last column of ``(patient_id, assessed_on, id)`` the database finds it in the
index, without reading each patient's latest assessment row (whose analysis is large) — 4,774 reads
fewer for the largest clinician of ``bench/bench_patient_list.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "ix_assessments_patient_id_assessed_on", "ix_assessments_patient_id_assessed_on_safety"


def upgrade() -> None:
    op.create_index(NEW, "assessments", ["patient_id", "assessed_on", "id", "safety_level"])
    op.drop_index(OLD, table_name="assessments")


def downgrade() -> None:
    op.create_index(OLD, "assessments", ["patient_id", "assessed_on", "id"])
    op.drop_index(NEW, table_name="assessments")
