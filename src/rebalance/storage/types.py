"""Column types and the value sets stored in them.

- :data:`JSONDocument`: JSON on SQLite, JSONB on PostgreSQL.
- :class:`UTCDateTime`: a timestamp that is always timezone-aware UTC in Python, whatever the database.
- The value sets (roles, program statuses, audit actions ...) as ``StrEnum``; stored as their values in a
  VARCHAR with a CHECK constraint (never a native PostgreSQL ENUM, which is awkward to migrate).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Enum, Integer, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

JSONDocument = JSON().with_variant(JSONB(), "postgresql")
"""A JSON document column: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite."""

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit id on PostgreSQL; INTEGER on SQLite, where only ``INTEGER PRIMARY KEY`` autoincrements."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp. Refuses naive datetimes; SQLite stores naive UTC, read back as aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give a timezone-aware datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Role(StrEnum):
    """What a user is: an administrator, a clinician (owns patients), or a patient (sees their own record)."""

    ADMIN = "admin"
    CLINICIAN = "clinician"
    PATIENT = "patient"


class Sex(StrEnum):
    """As in the assessment contract (``client.sex``)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class SafetyLevel(StrEnum):
    """The analysis document's ``safety.level`` (contract), most serious first."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    CAUTION = "caution"
    CLEAR = "clear"


class ProgramStatus(StrEnum):
    """A program version's life: draft → approved → published → superseded (by a newer published one)."""

    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class AuditAction(StrEnum):
    """What an audit event records."""

    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    PUBLISH = "publish"


class EntityType(StrEnum):
    """The kinds of record an audit event can name (stored as plain text: new kinds need no migration)."""

    USER = "user"
    PATIENT = "patient"
    ASSESSMENT = "assessment"
    PROGRAM = "program"
    SESSION_LOG = "session_log"
    PATIENT_LIST = "patient_list"  # a clinician's patient list; entity id = the clinician's user id
    VIDEO_JOB = "video_job"


class JobStatus(StrEnum):
    """A video analysis: waiting for a worker, being analysed, measured, or refused/broken (the reason kept)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def value_set(enum: type[StrEnum], name: str) -> Enum:
    """A column type for ``enum``: VARCHAR(20) holding the values, with a CHECK constraint named ``name``."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
