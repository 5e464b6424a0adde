"""The stored things, as typed SQLAlchemy 2 tables.

    users          who logs in: admins, clinicians, patients (a patient user links to a patient record)
    patients       a clinician's patient
    assessments    one assessment file (as parsed data) and its analysis document
    programs       every version of a patient's exercise program; a change is a new version
    session_logs   what a patient did in one home session, exercise by exercise
    audit_events   who read or changed which record, and when (append-only)

and, for the web app (``storage/repos``: web_sessions, invitations, logins, check_ins):

    web_sessions   a signed-in browser: the hash of its cookie token, its CSRF token, its expiry
    invitations    a single-use link that lets a patient set their password (only its hash is stored)
    login_attempts every login attempt by email and address, for rate limiting across processes
    check_ins      a patient's weekly red-flag check-in: the flags answered yes and the safety level
    video_jobs     a clip a clinician uploaded for a patient and its analysis: status, progress, result

Constraint and index names follow :data:`NAMING_CONVENTION`, so migrations can name them. The
migrations in ``migrations/versions/`` must create exactly this schema; a test compares them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, MetaData, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates
from sqlalchemy.orm.attributes import instance_state

from rebalance.errors import ConflictError
from rebalance.storage.types import (
    AuditAction,
    BigId,
    JobStatus,
    JSONDocument,
    ProgramStatus,
    Role,
    SafetyLevel,
    Sex,
    UTCDateTime,
    utc_now,
    value_set,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """Someone who logs in. A patient user has their clinician and their own patient record."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role = 'patient' OR (clinician_id IS NULL AND patient_id IS NULL)", name="patient_links"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(value_set(Role, "role"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # users ↔ patients is a cycle; use_alter adds this key after both tables exist.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id", use_alter=True), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class Patient(Base):
    """A clinician's patient. ``external_ref`` is the assessment file's ``client.id``."""

    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("clinician_id", "external_ref"),
        Index("ix_patients_clinician_id_display_name", "clinician_id", "display_name"),
        CheckConstraint("birth_year BETWEEN 1900 AND 2200", name="birth_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    display_name: Mapped[str] = mapped_column(String(200))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    birth_year: Mapped[int | None]
    sex: Mapped[Sex | None] = mapped_column(value_set(Sex, "sex"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    archived: Mapped[bool] = mapped_column(default=False)


class Assessment(Base):
    """One assessment: the file as parsed data, its analysis document, and the analysis's safety level."""

    __tablename__ = "assessments"
    # safety_level last: the patient list reads the latest one from the index alone (migration 0004)
    __table_args__ = (
        Index("ix_assessments_patient_id_assessed_on_safety", "patient_id", "assessed_on", "id", "safety_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    analysis: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    safety_level: Mapped[SafetyLevel] = mapped_column(value_set(SafetyLevel, "safety_level"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class Program(Base):
    """One version of a patient's program. Its document is written once: a change is a new version."""

    __tablename__ = "programs"
    __table_args__ = (
        UniqueConstraint("patient_id", "version"),
        CheckConstraint("version >= 1", name="version"),
        # At most one published version per patient: publishing supersedes the previous one first.
        Index(
            "uq_programs_patient_id_published",
            "patient_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    version: Mapped[int]
    status: Mapped[ProgramStatus] = mapped_column(value_set(ProgramStatus, "status"))
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @validates("document")
    def _written_once(self, key: str, document: dict[str, Any]) -> dict[str, Any]:
        if instance_state(self).has_identity:
            raise ConflictError("program", self.id, "a stored program's document never changes; add a new version")
        return document


class SessionLog(Base):
    """One home session: per exercise, what was done and how it felt (``entries``)."""

    __tablename__ = "session_logs"
    __table_args__ = (
        Index("ix_session_logs_patient_id_performed_on", "patient_id", "performed_on"),
        Index(
            "ix_session_logs_program_id_patient_id_performed_on_id", "program_id", "patient_id", "performed_on", "id"
        ),
        CheckConstraint("pain_during_max BETWEEN 0 AND 10", name="pain_during_max"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    performed_on: Mapped[dt.date] = mapped_column(Date)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    pain_during_max: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class AuditEvent(Base):
    """Who (``user_id``) did what (``action``) to which record (``entity_type``, ``entity_id``), and when.

    ``patient_id`` names the patient whose record it concerns (a patient's assessment, program or log
    too), so one indexed query gives a patient's whole access history. No foreign keys: the log outlives
    every record it names, users included (and a key's check of each read event locked the user's row:
    migration 0006).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id", "at"),
        Index("ix_audit_events_patient_id_at", "patient_id", "at"),
        Index("ix_audit_events_user_id_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    user_id: Mapped[int | None]
    action: Mapped[AuditAction] = mapped_column(value_set(AuditAction, "action"))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    patient_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 (``token_hash``) is stored.

    It ends at ``expires_at`` (absolute) or when ``last_seen_at`` is older than the idle limit
    (``rebalance.web.security``), and on logout (the row is deleted).
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Invitation(Base):
    """A link that lets a patient set their password: single use (``used_at``), expiring; only its hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """One login attempt: the lower-cased email tried (``key``), the client address, when, and whether it worked."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_key_at", "key", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    success: Mapped[bool]


class CheckIn(Base):
    """A patient's weekly red-flag check-in: the red-flag ids answered yes, and the safety level they give."""

    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_patient_id_checked_on", "patient_id", "checked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    checked_on: Mapped[dt.date] = mapped_column(Date)
    answers: Mapped[list[str]] = mapped_column(JSONDocument)
    level: Mapped[SafetyLevel] = mapped_column(value_set(SafetyLevel, "level"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class VideoJob(Base):
    """An uploaded clip (stored at ``path`` until ``clip_deleted_at``) and its analysis by
    ``rebalance.video.job.run``: ``result`` its ``tests:`` entries when done, ``error`` the reason when refused
    or failed; ``task_id`` a Celery task's, ``analysed_by`` the app's process analysing it when there is no broker."""

    __tablename__ = "video_jobs"
    __table_args__ = (CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(1000))
    movement: Mapped[str] = mapped_column(String(40))
    view: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[JobStatus] = mapped_column(value_set(JobStatus, "status"), default=JobStatus.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)
    task_id: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    error: Mapped[str | None] = mapped_column(String(2000))
    analysed_by: Mapped[str | None] = mapped_column(String(100))
    clip_deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
