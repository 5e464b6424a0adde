"""The web app's tables: web sessions, invitations, login attempts, check-ins.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Written from ``rebalance.storage.tables`` with the types spelled out, as in 0001. Only hashes of
session and invitation tokens are stored, never the tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _create_web_sessions()
    _create_invitations()
    _create_login_attempts()
    _create_check_ins()


def _create_web_sessions() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_seen_at"),
        _timestamp("expires_at"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])


def _create_invitations() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        _timestamp("used_at", nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_invitations_created_by_users")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_invitations_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index(op.f("ix_invitations_patient_id"), "invitations", ["patient_id"])


def _create_login_attempts() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        _timestamp("at"),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_key_at", "login_attempts", ["key", "at"])
    op.create_index("ix_login_attempts_ip_at", "login_attempts", ["ip", "at"])


def _create_check_ins() -> None:
    level = sa.Enum(
        "emergency", "urgent", "caution", "clear", name="level", native_enum=False, create_constraint=True, length=20
    )
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("answers", JSON_DOCUMENT, nullable=False),
        sa.Column("level", level, nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_check_ins_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
    )
    op.create_index("ix_check_ins_patient_id_checked_on", "check_ins", ["patient_id", "checked_on"])


def downgrade() -> None:
    for table in ("check_ins", "login_attempts", "invitations", "web_sessions"):
        op.drop_table(table)  # its indexes go with it
