"""What goes into the store and what comes out: one schema family per stored thing.

For each table in :mod:`rebalance.storage.tables`: ``XBase`` (the fields a caller writes),
``XCreate`` (what creating one takes), ``XPublic`` (what reading one gives: safe to show, detached
from the session). Programs have no ``XUpdate``: a change is a new version.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from rebalance.programs.logs import ENTRY_RANGES
from rebalance.storage.types import AuditAction, JobStatus, ProgramStatus, Role, SafetyLevel, Sex

Scale10 = Annotated[int, Field(ge=0, le=10)]
"""A 0–10 rating, as the contract's pain scores (0 none, 10 worst imaginable)."""
Email = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"), AfterValidator(lambda e: e.strip().lower())]
"""An email address, kept lower-cased: how a user signs in, and whom an invitation is for."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


# users


class UserBase(_In):
    """A user's own fields."""

    email: Email
    display_name: str = Field(min_length=1, max_length=200)
    role: Role


class UserCreate(UserBase):
    """A new user; a patient user may name their clinician and their patient record."""

    clinician_id: int | None = None
    patient_id: int | None = None
    password_hash: str | None = Field(None, max_length=255)

    @model_validator(mode="after")
    def _only_patients_link(self) -> UserCreate:
        if self.role is not Role.PATIENT and (self.clinician_id is not None or self.patient_id is not None):
            raise ValueError("only a patient user has a clinician_id or a patient_id")
        return self


class UserPublic(UserBase):
    """A user as shown: never the password hash."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    clinician_id: int | None
    patient_id: int | None
    active: bool
    created_at: dt.datetime


# patients


class PatientBase(_In):
    """A patient's own fields. ``external_ref`` is the assessment file's ``client.id``."""

    display_name: str = Field(min_length=1, max_length=200)
    external_ref: str | None = Field(None, max_length=100)
    birth_year: int | None = Field(None, ge=1900, le=2200)
    sex: Sex | None = None

    @field_validator("external_ref")
    @classmethod
    def _blank_is_none(cls, reference: str | None) -> str | None:
        """A blank reference is no reference (two patients without one are not the same reference)."""
        return None if reference is None or not reference.strip() else reference


class PatientCreate(PatientBase):
    """A new patient (the clinician is given to the repository function)."""


class PatientPublic(PatientBase):
    """A patient as shown."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    clinician_id: int
    created_at: dt.datetime
    archived: bool


class PatientListItem(_Out):
    """One row of a clinician's patient list."""

    id: int
    display_name: str
    external_ref: str | None
    latest_safety_level: SafetyLevel | None = Field(description="of the latest assessment; None before the first")
    last_session_on: dt.date | None = Field(description="the latest logged session; None before the first")


# assessments


class AssessmentBase(_In):
    """An assessment file (as parsed data) and its analysis document (contract ``rebalance.analysis/1``)."""

    assessed_on: dt.date
    document: dict[str, Any]
    analysis: dict[str, Any]

    @field_validator("analysis")
    @classmethod
    def _has_safety_level(cls, analysis: dict[str, Any]) -> dict[str, Any]:
        level = (analysis.get("safety") or {}).get("level")
        if level not in set(SafetyLevel):
            raise ValueError(f"safety.level must be one of {', '.join(SafetyLevel)}, got {level!r}")
        return analysis

    @property
    def safety_level(self) -> SafetyLevel:
        return SafetyLevel(self.analysis["safety"]["level"])


class AssessmentCreate(AssessmentBase):
    """A new assessment of a patient."""


class AssessmentPublic(_Out):
    """An assessment as stored."""

    id: int
    patient_id: int
    assessed_on: dt.date
    document: dict[str, Any]
    analysis: dict[str, Any]
    safety_level: SafetyLevel
    created_by: int
    created_at: dt.datetime


# programs


class ProgramBase(_In):
    """A program version's document, and the assessment it was built from."""

    assessment_id: int
    document: dict[str, Any]


class ProgramCreate(ProgramBase):
    """A new version; ``published`` also supersedes the version published before it."""

    status: Literal[ProgramStatus.DRAFT, ProgramStatus.APPROVED, ProgramStatus.PUBLISHED] = ProgramStatus.DRAFT


class ProgramPublic(_Out):
    """A program version as stored."""

    id: int
    patient_id: int
    assessment_id: int
    version: int
    status: ProgramStatus
    document: dict[str, Any]
    created_by: int
    created_at: dt.datetime
    approved_by: int | None
    approved_at: dt.datetime | None


# session logs


def _dose(name: str) -> Any:
    low, high = ENTRY_RANGES[name]
    return Field(None, ge=low, le=high, allow_inf_nan=False)


class SessionEntry(_In):
    """One exercise of a session: done or not, the dose done (in the library's ranges,
    ``programs.logs.ENTRY_RANGES``: what is stored can be read), and how it felt (0–10 ratings)."""

    exercise_id: str = Field(min_length=1, max_length=100)
    done: bool
    sets: int | None = _dose("sets")
    reps: int | None = _dose("reps")
    hold_s: float | None = _dose("hold_s")
    minutes: int | None = _dose("minutes")
    effort: Scale10 | None = None
    pain_during: Scale10 | None = None
    pain_next_morning: Scale10 | None = None
    stiffness_next_morning: Scale10 | None = None


class SessionEntryPublic(_Out):
    """One exercise of a session as stored: :class:`SessionEntry`'s fields without its upper limits, for
    rows stored before storage kept to the library's ranges (``programs.feedback.stored_logs`` leaves such
    a session out of its word, and says so)."""

    exercise_id: str
    done: bool
    sets: int | None = None
    reps: int | None = None
    hold_s: float | None = None
    minutes: int | None = None
    effort: int | None = None
    pain_during: int | None = None
    pain_next_morning: int | None = None
    stiffness_next_morning: int | None = None


class SessionLogBase(_In):
    """A session: which program version, on which day, and each exercise."""

    program_id: int
    performed_on: dt.date
    entries: list[SessionEntry]

    @property
    def pain_during_max(self) -> int | None:
        pains = [e.pain_during for e in self.entries if e.pain_during is not None]
        return max(pains, default=None)


class SessionLogCreate(SessionLogBase):
    """A new session log (``pain_during_max`` is computed from the entries)."""


class SessionLogPublic(_Out):
    """A session log as stored."""

    id: int
    patient_id: int
    program_id: int
    performed_on: dt.date
    entries: list[SessionEntryPublic]
    pain_during_max: int | None
    created_at: dt.datetime


# audit events


class AuditEventPublic(_Out):
    """An audit event as stored."""

    id: int
    at: dt.datetime
    user_id: int | None
    action: AuditAction
    entity_type: str
    entity_id: int | None
    patient_id: int | None
    detail: dict[str, Any]


# web sessions, logins, invitations, check-ins (the web app's own records)


class UserCredentials(_Out):
    """What a login checks. Never leaves the web layer's security module."""

    id: int
    email: str
    role: Role
    active: bool
    password_hash: str | None


class ClinicianListItem(_Out):
    """One row of the admin's list of clinicians."""

    id: int
    email: str
    display_name: str
    active: bool
    created_at: dt.datetime
    patient_count: int


class LoginFailures(_Out):
    """Failed logins counted for rate limiting, and the oldest counted (when the count starts to fall)."""

    by_email: int
    by_ip: int
    oldest_by_email: dt.datetime | None
    oldest_by_ip: dt.datetime | None


class WebSessionPublic(_Out):
    """A web session as the web layer uses it: never the token (the database holds only its hash)."""

    id: int
    user_id: int
    csrf_token: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime


class InvitationCreate(_In):
    """A new invitation: the email the patient will sign in with."""

    email: Email


class InvitationPublic(_Out):
    """An invitation as stored (never the token)."""

    id: int
    patient_id: int
    email: str
    created_by: int
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None


RedFlagId = str
"""A red-flag id of the knowledge base (``red_flags.yaml``); the caller checks it against the base."""


class CheckInCreate(_In):
    """A weekly check-in: the red flags answered yes, and the level the library gives them."""

    checked_on: dt.date
    answers: list[RedFlagId] = Field(max_length=100)
    level: SafetyLevel


class CheckInPublic(_Out):
    """A check-in as stored."""

    id: int
    patient_id: int
    checked_on: dt.date
    answers: list[RedFlagId]
    level: SafetyLevel
    created_at: dt.datetime


class VideoJobCreate(_In):
    """An uploaded clip to analyse: its name as uploaded, where it is stored, the movement and the view."""

    filename: str = Field(max_length=255)
    path: str = Field(max_length=1000)
    movement: str = Field(max_length=40)
    view: str | None = Field(None, max_length=10)


class VideoJobPublic(VideoJobCreate, _Out):
    """A video job as stored: ``result`` the ``tests:`` entries measured, ``error`` why there are none."""

    id: int
    patient_id: int
    created_by: int
    status: JobStatus
    progress: int
    task_id: str | None
    result: dict[str, Any] | None
    error: str | None
    analysed_by: str | None
    clip_deleted_at: dt.datetime | None
    created_at: dt.datetime
